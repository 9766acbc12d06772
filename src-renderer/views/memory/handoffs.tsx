import { useKernelStore } from '../../store/kernel-store.js';
import { selectHandoffs } from '../../store/scheduler.selectors.js';
import { formatClock, formatCount } from '../common/format.js';

function AgentName({ pid }: { pid: number }) {
  const name = useKernelStore((state) => state.processes[pid]?.name);
  return (
    <>
      {name ? `${name} ` : ''}
      <span className="muted">pid {pid}</span>
    </>
  );
}

/** Agents started from another agent's context: as its KV state, or as its transcript when that could not be reused. */
export function Handoffs() {
  const handoffs = useKernelStore(selectHandoffs);
  return (
    <section className="panel handoffs" aria-labelledby="handoffs-title">
      <div className="panel-head">
        <h2 id="handoffs-title">Handoffs</h2>
      </div>
      {handoffs.length === 0 ? (
        <p className="empty">No handoffs since this page connected.</p>
      ) : (
        <ul className="handoff-list">
          {[...handoffs].reverse().map((handoff) => (
            <li key={handoff.seq}>
              <span className="num muted">{formatClock(handoff.at)}</span> <AgentName pid={handoff.from} /> → <AgentName pid={handoff.to} />{' '}
              <span className={`direction direction-${handoff.mode === 'kv' ? 'in' : 'out'}`}>{handoff.mode === 'kv' ? 'as KV state' : 'as text'}</span>{' '}
              <span className="muted">
                {formatCount(handoff.tokens)} tokens{handoff.reason ? ` · fell back: ${handoff.reason}` : ''}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
