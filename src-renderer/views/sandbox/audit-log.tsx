import { memo, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { AuditRecord } from '../../../src-shared/index.js';
import { useKernelStore } from '../../store/kernel-store.js';
import { selectAuditFilter, selectDenialCount, selectVisibleAudit } from '../../store/sandbox.selectors.js';
import type { AuditOutcomeFilter } from '../../store/ui.slice.js';
import { formatBytes, formatClock } from '../common/format.js';
import { TablePanel, type TableColumn } from '../common/table-panel.js';

/** Rows drawn at once; the filter narrows the rest. */
const SHOWN = 300;

const OUTCOMES: readonly { value: AuditOutcomeFilter; label: string }[] = [
  { value: 'all', label: 'All outcomes' },
  { value: 'denied', label: 'Denied' },
  { value: 'error', label: 'Errors' },
  { value: 'allowed', label: 'Allowed' },
  { value: 'ok', label: 'OK' },
  { value: 'revoked', label: 'Revoked' },
];

const AUDIT_COLUMNS: readonly TableColumn[] = [
  { label: 'Time', numeric: true },
  { label: 'PID', numeric: true },
  { label: 'Agent' },
  { label: 'Kind' },
  { label: 'Name' },
  { label: 'Capability' },
  { label: 'Outcome' },
  { label: 'Reason' },
  { label: 'Took', numeric: true },
  { label: 'Result', numeric: true },
];

const AuditRow = memo(function AuditRow({ record }: { record: AuditRecord }) {
  const denied = record.outcome === 'denied' || record.outcome === 'timeout';
  return (
    <tr className={denied ? 'denied' : record.outcome === 'error' ? 'failed' : undefined} data-outcome={record.outcome}>
      <td className="num">{formatClock(record.at)}</td>
      <td className="num">{record.pid ?? '–'}</td>
      <td>{record.agentId ?? '–'}</td>
      <td>{record.kind}</td>
      <td>
        <code>{record.name}</code>
      </td>
      <td>{record.capability ? <code>{record.capability}</code> : <span className="muted">–</span>}</td>
      <td>
        <span className={`outcome outcome-${record.outcome}`}>{record.outcome}</span>
      </td>
      <td className="reason" title={record.reason}>
        {record.reason}
      </td>
      <td className="num">{record.durationMs === null ? '–' : `${Math.round(record.durationMs)} ms`}</td>
      <td className="num">{record.resultBytes === null ? '–' : formatBytes(record.resultBytes)}</td>
    </tr>
  );
});

function ChainCheck() {
  const verify = useKernelStore((state) => state.callKernel);
  const [result, setResult] = useState<string | null>(null);
  return (
    <span className="chain-check">
      <button
        type="button"
        className="quiet"
        onClick={() =>
          void verify('audit.verify', {}).then((answer) => {
            if (answer) setResult(answer.ok ? `chain intact (${answer.records} records)` : `chain broken: ${answer.problem ?? 'unknown'}`);
          })
        }
      >
        Verify chain
      </button>
      {result ? (
        <span role="status" className="muted">
          {result}
        </span>
      ) : null}
    </span>
  );
}

/** The hash-chained audit log as a live stream, newest first; denials stand out. */
export function AuditLog() {
  const records = useKernelStore(useShallow(selectVisibleAudit));
  const filter = useKernelStore(selectAuditFilter);
  const denials = useKernelStore(selectDenialCount);
  const setFilter = useKernelStore((state) => state.setAuditFilter);
  return (
    <TablePanel
      titleId="audit-title"
      title="Audit log"
      className="audit"
      tableClassName="audit-table"
      head={
        <div className="toolbar">
          <input type="search" aria-label="Filter the audit log" placeholder="Filter: agent, tool, capability, reason" value={filter.text} onChange={(event) => setFilter({ text: event.target.value })} />
          <select aria-label="Outcome" value={filter.outcome} onChange={(event) => setFilter({ outcome: event.target.value as AuditOutcomeFilter })}>
            {OUTCOMES.map((outcome) => (
              <option key={outcome.value} value={outcome.value}>
                {outcome.label}
              </option>
            ))}
          </select>
          <span className={denials > 0 ? 'denial-count' : 'muted'}>{denials} denied</span>
          <ChainCheck />
        </div>
      }
      columns={AUDIT_COLUMNS}
      empty={records.length === 0 ? <p className="empty">No audit records match.</p> : null}
      footer={records.length > SHOWN ? <p className="empty">{records.length - SHOWN} older records match; narrow the filter to see them.</p> : null}
    >
      {records.slice(0, SHOWN).map((record) => (
        <AuditRow key={record.seq} record={record} />
      ))}
    </TablePanel>
  );
}
