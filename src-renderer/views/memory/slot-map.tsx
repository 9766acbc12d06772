import { memo } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { useKernelStore } from '../../store/kernel-store.js';
import { selectKvBytesPerToken, selectSlotResidents } from '../../store/scheduler.selectors.js';
import { selectContextSize, selectProcess } from '../../store/selectors.js';
import { formatBytes, formatCompact } from '../common/format.js';
import { AgentIcon } from '../common/agent-icon.js';

const SlotCard = memo(function SlotCard({ slot, pid }: { slot: number; pid: number | null }) {
  const info = useKernelStore((state) => (pid === null ? undefined : selectProcess(pid)(state)));
  const size = useKernelStore(selectContextSize);
  const bytesPerToken = useKernelStore(selectKvBytesPerToken);
  const titleId = `slot-${slot}-title`;
  if (!info) {
    return (
      <li className="slot slot-empty" aria-labelledby={titleId}>
        <h3 id={titleId}>Slot {slot}</h3>
        <p className="muted">{pid === null ? 'empty, or not seen since this page connected' : `pid ${pid}`}</p>
      </li>
    );
  }
  const tokens = info.counters.contextTokens;
  const running = info.state === 'running' && info.slot === slot;
  const share = size ? Math.min(1, tokens / size) : 0;
  return (
    <li className={`slot ${running ? 'slot-running' : 'slot-resident'}`} aria-labelledby={titleId}>
      <h3 id={titleId}>
        Slot {slot} <span className="muted">{running ? 'decoding' : 'resident, idle'}</span>
      </h3>
      <p className="slot-agent">
        <span className="icon" aria-hidden="true">
          <AgentIcon icon={info.icon} />
        </span>{' '}
        {info.name} <span className="muted">pid {info.pid}</span>
      </p>
      <span
        className="bar"
        role="meter"
        aria-label={`KV resident in slot ${slot}`}
        aria-valuemin={0}
        aria-valuemax={size ?? tokens}
        aria-valuenow={tokens}
      >
        <span className="bar-fill bar-low" style={{ width: `${(share * 100).toFixed(1)}%` }} />
      </span>
      <p className="slot-numbers">
        {formatCompact(tokens)} / {size === null ? '?' : formatCompact(size)} tokens
        {bytesPerToken === null ? '' : ` · ${formatBytes(tokens * bytesPerToken)}`}
      </p>
    </li>
  );
});

/** One card per model slot: whose KV state is in it, and whether it is decoding. */
export function SlotMap() {
  const residents = useKernelStore(useShallow(selectSlotResidents));
  return (
    <section className="panel slot-map" aria-labelledby="slot-map-title">
      <div className="panel-head">
        <h2 id="slot-map-title">Slots</h2>
        <span className="muted hint">KV state stays in its slot after a slice, until another agent needs the slot</span>
      </div>
      {residents.length === 0 ? (
        <p className="empty">No model loaded: no slots.</p>
      ) : (
        <ul className="slots" aria-label="Model slots">
          {residents.map((pid, slot) => (
            <SlotCard key={slot} slot={slot} pid={pid} />
          ))}
        </ul>
      )}
    </section>
  );
}
