import { memo } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { ProcessInfo } from '../../../src-shared/index.js';
import { PriorityClass, isTerminal } from '../../../src-shared/index.js';
import { useKernelStore } from '../../store/kernel-store.js';
import { currentRate } from '../../store/metrics.slice.js';
import { selectKvBytesPerToken } from '../../store/scheduler.selectors.js';
import {
  selectContextSize,
  selectIsSelected,
  selectPending,
  selectProcess,
  selectProcessActions,
  selectRateHistory,
  selectResidentSlot,
} from '../../store/selectors.js';
import { formatBytes, formatCount, formatDuration, formatRate } from '../common/format.js';
import { useClock } from '../common/use-clock.js';
import { ContextBar } from './context-bar.js';
import { stateLabel } from './process-state.js';
import { Sparkline } from './sparkline.js';
import { AgentIcon } from '../common/agent-icon.js';

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

function Rate({ pid, live }: { pid: number; live: boolean }) {
  const history = useKernelStore(selectRateHistory(pid));
  return (
    <span className="rate">
      <Sparkline history={history} label={`Tokens per second of process ${pid}`} />
      <span className="num">{live ? formatRate(currentRate(history)) : '–'}</span>
    </span>
  );
}

/** Where the agent's KV state is: resident in a slot (with its size), swapped out, or nowhere yet. */
function KvCell({ info }: { info: ProcessInfo }) {
  const slot = useKernelStore(selectResidentSlot(info.pid));
  const bytesPerToken = useKernelStore(selectKvBytesPerToken);
  if (isTerminal(info.state)) return <span className="muted">–</span>;
  if (info.swap) {
    return (
      <span className="kv kv-swapped" title={`KV state swapped out to ${info.swap.location === 'ram' ? 'RAM' : 'disk'}`}>
        {formatBytes(info.swap.bytes)} <span className="muted">{info.swap.location}</span>
      </span>
    );
  }
  if (slot === null || isTerminal(info.state)) return <span className="muted">–</span>;
  const bytes = bytesPerToken === null ? null : info.counters.contextTokens * bytesPerToken;
  return (
    <span className="kv kv-resident" title={`KV state resident in slot ${slot}`}>
      {bytes === null ? '' : `${formatBytes(bytes)} `}
      <span className="muted">slot {slot}</span>
    </span>
  );
}

/** One process; it reads its own row from the store, so other rows' counters do not re-render it. */
export const ProcessRow = memo(function ProcessRow({ pid }: { pid: number }) {
  const info = useKernelStore(selectProcess(pid));
  const pending = useKernelStore(selectPending(pid));
  const selected = useKernelStore(selectIsSelected(pid));
  const contextSize = useKernelStore(selectContextSize);
  const { suspend, resume, renice, select, openRenice, openKill } = useKernelStore(useShallow(selectProcessActions));
  if (!info) return null;

  const finished = isTerminal(info.state);
  const busy = pending !== undefined;
  const counters = info.counters;
  const nice = info.priority.nice;

  return (
    <tr className={selected ? 'selected' : undefined} data-state={info.state} data-pid={info.pid}>
      <td className="num">{info.pid}</td>
      <th scope="row" className="agent-cell">
        <button
          type="button"
          className="agent"
          aria-label={`Open console of process ${info.pid}, ${info.name}`}
          aria-pressed={selected}
          title={info.task}
          onClick={() => select(selected ? null : info.pid)}
        >
          <span className="icon" aria-hidden="true">
            <AgentIcon icon={info.icon} />
          </span>
          <span className="agent-name">{info.name}</span>
          <span className="agent-task" aria-hidden="true">
            {info.task}
          </span>
        </button>
      </th>
      <td>
        <span className={`state state-${info.state}${stateLabel(info) === 'killed' ? ' state-killed' : ''}`} title={stateTitle(info)}>
          {stateLabel(info)}
        </span>
      </td>
      <td className="class-cell">
        {finished ? (
          <span className="muted">{info.priority.class}</span>
        ) : (
          <select
            aria-label={`Priority class of process ${info.pid}`}
            value={info.priority.class}
            disabled={busy}
            onChange={(event) => void renice(info.pid, { class: PriorityClass.parse(event.target.value) })}
          >
            {PriorityClass.options.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        )}
        <span className="nice" title="niceness inside the class" aria-label={`nice ${nice}`}>
          {nice > 0 ? `+${nice}` : nice}
        </span>
      </td>
      <td className="core-cell" title={info.core ?? undefined}>
        {info.core ?? <span className="muted">–</span>}
      </td>
      <td className="num">{info.slot ?? '–'}</td>
      <td className="num">
        <Rate pid={info.pid} live={!finished} />
      </td>
      <td className="num">
        {formatCount(counters.tokensIn)} / {formatCount(counters.tokensOut)}
      </td>
      <td>
        <ContextBar pid={info.pid} used={counters.contextTokens} pagedOut={info.memory?.pagedOutTokens ?? null} size={contextSize} />
      </td>
      <td className="num">
        <KvCell info={info} />
      </td>
      <td className="num">{formatCount(counters.toolCalls)}</td>
      <td className="num">
        <Uptime info={info} />
      </td>
      <td className="actions">
        {finished ? (
          <span className="muted exit-note" title={stateTitle(info)}>
            exit {info.exit?.code ?? '?'}
          </span>
        ) : (
          <>
            {info.state === 'suspended' ? (
              <button type="button" aria-label={`Resume process ${info.pid}`} disabled={busy} onClick={() => void resume(info.pid)}>
                Resume
              </button>
            ) : (
              <button type="button" aria-label={`Suspend process ${info.pid}`} disabled={busy} onClick={() => void suspend(info.pid)}>
                Suspend
              </button>
            )}
            <button type="button" aria-label={`Renice process ${info.pid}`} disabled={busy} onClick={() => openRenice(info.pid)}>
              Renice
            </button>
            <button type="button" className="danger" aria-label={`Kill process ${info.pid}`} disabled={busy} onClick={() => openKill(info.pid)}>
              Kill
            </button>
          </>
        )}
      </td>
    </tr>
  );
});
