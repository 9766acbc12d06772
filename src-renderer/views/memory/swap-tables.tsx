import { memo } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { useKernelStore } from '../../store/kernel-store.js';
import { selectSnapshot, selectSwapLog, selectSwapTotals, selectSwappedPids } from '../../store/scheduler.selectors.js';
import type { SwapRecord } from '../../store/scheduler.slice.js';
import { selectProcess } from '../../store/selectors.js';
import { formatBytes, formatClock } from '../common/format.js';
import { AgentIcon } from '../common/agent-icon.js';
import { TablePanel, type TableColumn } from '../common/table-panel.js';

const SWAPPED_COLUMNS: readonly TableColumn[] = [
  { label: 'PID', numeric: true },
  { label: 'Agent' },
  { label: 'State' },
  { label: 'Where' },
  { label: 'Size', numeric: true },
  { label: 'Swaps out / in', numeric: true },
  { label: 'Last snapshot', numeric: true },
];

const SWAP_COLUMNS: readonly TableColumn[] = [
  { label: 'Time', numeric: true },
  { label: 'Agent' },
  { label: 'Direction' },
  { label: 'Slot', numeric: true },
  { label: 'Where' },
  { label: 'Size', numeric: true },
  { label: 'Took', numeric: true },
];

const SwappedRow = memo(function SwappedRow({ pid }: { pid: number }) {
  const info = useKernelStore(selectProcess(pid));
  const snapshot = useKernelStore(selectSnapshot(pid));
  if (!info?.swap) return null;
  return (
    <tr>
      <td className="num">{info.pid}</td>
      <th scope="row">
        <span className="icon" aria-hidden="true">
          <AgentIcon icon={info.icon} />
        </span>{' '}
        {info.name}
      </th>
      <td>{info.state}</td>
      <td>{info.swap.location === 'ram' ? 'RAM (/dev/shm)' : 'disk (data dir)'}</td>
      <td className="num">{formatBytes(info.swap.bytes)}</td>
      <td className="num">
        {info.counters.swapsOut} / {info.counters.swapsIn}
      </td>
      <td className="num">{snapshot ? `${formatBytes(snapshot.bytes)} · ${formatClock(snapshot.at)}` : '–'}</td>
    </tr>
  );
});

/** Agents whose KV state is out of its slot, and where it lives. */
export function SwappedStates() {
  const pids = useKernelStore(useShallow(selectSwappedPids));
  return (
    <TablePanel
      titleId="swapped-title"
      title="Swapped out"
      className="swapped"
      columns={SWAPPED_COLUMNS}
      empty={pids.length === 0 ? <p className="empty">Nothing swapped out: every live agent&apos;s KV state is in a slot (or not built yet).</p> : null}
    >
      {pids.map((pid) => (
        <SwappedRow key={pid} pid={pid} />
      ))}
    </TablePanel>
  );
}

const SwapRow = memo(function SwapRow({ swap }: { swap: SwapRecord }) {
  const name = useKernelStore((state) => state.processes[swap.pid]?.name);
  return (
    <tr className={swap.ok ? undefined : 'failed'}>
      <td className="num">{formatClock(swap.at)}</td>
      <td>
        {name ? `${name} ` : ''}
        <span className="muted">pid {swap.pid}</span>
      </td>
      <td>
        <span className={`direction direction-${swap.direction}`}>{swap.direction === 'out' ? 'swapped out' : 'swapped in'}</span>
        {swap.ok ? null : <span className="muted"> failed: {swap.error}</span>}
      </td>
      <td className="num">{swap.slot}</td>
      <td>{swap.location}</td>
      <td className="num">{formatBytes(swap.bytes)}</td>
      <td className="num">{swap.durationMs.toFixed(1)} ms</td>
    </tr>
  );
});

/** The latest swaps, newest first: which agent's KV state moved, which way, and how big it was. */
export function SwapLog() {
  const swaps = useKernelStore(selectSwapLog);
  const totals = useKernelStore(selectSwapTotals);
  return (
    <TablePanel
      titleId="swap-log-title"
      title="Swap activity"
      className="swap-log"
      head={
        <span className="muted hint" aria-label="Swap totals">
          {totals.out} out · {totals.in} in · {formatBytes(totals.bytesOut)} written since connecting
        </span>
      }
      columns={SWAP_COLUMNS}
      empty={swaps.length === 0 ? <p className="empty">No swaps since this page connected. They happen when more agents run than there are slots.</p> : null}
    >
      {[...swaps].reverse().map((swap) => (
        <SwapRow key={swap.seq} swap={swap} />
      ))}
    </TablePanel>
  );
}
