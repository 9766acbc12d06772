import { memo } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { ProcessInfo } from '../../src-shared/index.js';
import { PriorityClass, isTerminal } from '../../src-shared/index.js';
import { useKernelStore } from '../store/kernel-store.js';
import { selectIsSelected, selectPending, selectProcess, selectProcessActions } from '../store/selectors.js';
import { formatCount, formatDuration, formatRate } from './format.js';
import { useClock } from './use-clock.js';

function LiveUptime({ since }: { since: number }) {
  const now = useClock();
  return <>{formatDuration(now - since)}</>;
}

/** Finished processes show a fixed time; only live ones subscribe to the clock. */
function Uptime({ info }: { info: ProcessInfo }) {
  const since = info.startedAt ?? info.createdAt;
  if (info.exitedAt !== null) return <>{formatDuration(info.exitedAt - since)}</>;
  return <LiveUptime since={since} />;
}

function stateTitle(info: ProcessInfo): string | undefined {
  if (!info.exit) return undefined;
  return `exit ${info.exit.code}: ${info.exit.reason}`;
}

/** One process; it reads its own row from the store, so other rows' counters do not re-render it. */
export const ProcessRow = memo(function ProcessRow({ pid }: { pid: number }) {
  const info = useKernelStore(selectProcess(pid));
  const pending = useKernelStore(selectPending(pid));
  const selected = useKernelStore(selectIsSelected(pid));
  const { kill, suspend, resume, renice, select } = useKernelStore(useShallow(selectProcessActions));
  if (!info) return null;

  const finished = isTerminal(info.state);
  const busy = pending !== undefined;
  const counters = info.counters;

  return (
    <tr className={selected ? 'selected' : undefined} data-state={info.state}>
      <td className="num">{info.pid}</td>
      <td>
        <button
          type="button"
          className="agent"
          aria-label={`Show output of process ${info.pid}`}
          aria-pressed={selected}
          title={info.task}
          onClick={() => select(selected ? null : info.pid)}
        >
          <span className="icon" aria-hidden="true">
            {info.icon}
          </span>
          {info.name}
        </button>
      </td>
      <td>
        <span className={`state state-${info.state}`} title={stateTitle(info)}>
          {info.state}
        </span>
      </td>
      <td>
        <select
          aria-label={`Priority class of process ${info.pid}`}
          value={info.priority.class}
          disabled={finished || busy}
          onChange={(event) => void renice(info.pid, PriorityClass.parse(event.target.value))}
        >
          {PriorityClass.options.map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
      </td>
      <td className="num">{info.priority.nice}</td>
      <td className="num">{info.slot ?? '–'}</td>
      <td className="num">{info.state === 'running' ? formatRate(counters.tokensPerSecond) : '–'}</td>
      <td className="num">
        {formatCount(counters.tokensIn)} / {formatCount(counters.tokensOut)}
      </td>
      <td className="num">{formatCount(counters.steps)}</td>
      <td className="num">{formatCount(counters.toolCalls)}</td>
      <td className="num">
        <Uptime info={info} />
      </td>
      <td className="actions">
        {info.state === 'suspended' ? (
          <button type="button" aria-label={`Resume process ${info.pid}`} disabled={busy} onClick={() => void resume(info.pid)}>
            Resume
          </button>
        ) : (
          <button
            type="button"
            aria-label={`Suspend process ${info.pid}`}
            disabled={finished || busy}
            onClick={() => void suspend(info.pid)}
          >
            Suspend
          </button>
        )}
        <button
          type="button"
          className="danger"
          aria-label={`Kill process ${info.pid}`}
          disabled={finished || busy}
          onClick={() => void kill(info.pid)}
        >
          Kill
        </button>
      </td>
    </tr>
  );
});
