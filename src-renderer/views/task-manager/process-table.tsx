import { useState, type DragEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { useKernelStore } from '../../store/kernel-store.js';
import { selectSort, selectVisiblePids } from '../../store/selectors.js';
import type { SortKey } from '../../store/ui.slice.js';
import { droppedAgent, isAgentDrag } from '../common/agent-drag.js';
import { ProcessRow } from './process-row.js';

interface Column {
  label: string;
  key: SortKey | null;
  className?: string;
  title?: string;
}

const COLUMNS: readonly Column[] = [
  { label: 'PID', key: 'pid', className: 'num' },
  { label: 'Agent', key: 'name', className: 'agent-col' },
  { label: 'State', key: 'state' },
  { label: 'Class', key: 'class' },
  { label: 'Core', key: 'core', className: 'core-col', title: 'the core (local model or remote engine) it runs on, or last ran on' },
  { label: 'Slot', key: 'slot', className: 'num', title: 'the model slot it decodes in' },
  { label: 'tok/s', key: 'rate', className: 'num', title: 'tokens per second, sampled twice a second' },
  { label: 'In / out', key: 'tokens', className: 'num', title: 'tokens evaluated / generated' },
  { label: 'Context', key: 'context', title: 'context tokens resident in the KV cache' },
  { label: 'KV', key: 'kv', className: 'num', title: 'KV state: resident in a slot, or swapped out' },
  { label: 'Tools', key: 'tools', className: 'num', title: 'tool calls' },
  { label: 'Uptime', key: 'uptime', className: 'num' },
  { label: 'Actions', key: null, className: 'actions' },
];

function HeaderRow() {
  const sort = useKernelStore(selectSort);
  const sortBy = useKernelStore((state) => state.sortBy);
  return (
    <tr>
      {COLUMNS.map((column) => {
        const active = column.key !== null && sort.key === column.key;
        return (
          <th key={column.label} scope="col" className={column.className} aria-sort={active ? sort.direction : undefined} title={column.title}>
            {column.key === null ? (
              column.label
            ) : (
              <button type="button" className="sort" onClick={() => sortBy(column.key!)}>
                {column.label}
                <span className="sort-mark" aria-hidden="true">
                  {active ? (sort.direction === 'ascending' ? '▲' : '▼') : ''}
                </span>
              </button>
            )}
          </th>
        );
      })}
    </tr>
  );
}

/**
 * The process table, and the place a gallery card is dropped to install and start it. It
 * re-renders when rows come, go, stop matching or move; counters re-render one row.
 */
export function ProcessTable() {
  const pids = useKernelStore(useShallow(selectVisiblePids));
  const anyProcesses = useKernelStore((state) => Object.keys(state.processes).length > 0);
  const openInstall = useKernelStore((state) => state.openInstall);
  const [dropping, setDropping] = useState(false);

  const onDragOver = (event: DragEvent): void => {
    if (!isAgentDrag(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
    setDropping(true);
  };
  const onDrop = (event: DragEvent): void => {
    setDropping(false);
    const agentId = droppedAgent(event);
    if (agentId === null) return;
    event.preventDefault();
    openInstall(agentId);
  };

  return (
    <div
      className={`table-scroll drop-zone${dropping ? ' dropping' : ''}`}
      onDragOver={onDragOver}
      onDragLeave={(event) => {
        if (!event.currentTarget.contains(event.relatedTarget as Node | null)) setDropping(false);
      }}
      onDrop={onDrop}
    >
      <table aria-labelledby="task-manager-title" className="process-table">
        <thead>
          <HeaderRow />
        </thead>
        <tbody>
          {pids.map((pid) => (
            <ProcessRow key={pid} pid={pid} />
          ))}
        </tbody>
      </table>
      {pids.length === 0 ? (
        <p className="empty">
          {anyProcesses ? 'No process matches the filter.' : 'No agents running. Drag an agent from the gallery here, or use its Install button.'}
        </p>
      ) : null}
      {dropping ? (
        <p className="drop-hint" aria-hidden="true">
          Drop to install and start
        </p>
      ) : null}
    </div>
  );
}
