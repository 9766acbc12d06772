import { useEffect, useLayoutEffect, useRef, useState, type FormEvent } from 'react';
import type { ProcessInfo } from '../../../src-shared/index.js';
import { isTerminal } from '../../../src-shared/index.js';
import { useKernelStore } from '../../store/kernel-store.js';
import { selectConsoleText, selectPending, selectProcess, selectSelectedPid } from '../../store/selectors.js';
import { AgentIcon } from '../common/agent-icon.js';
import { stateLabel } from '../task-manager/process-state.js';

/** Follows the tail while the reader is at the bottom; leaves them alone once they scroll up. */
function useFollowTail(text: string) {
  const ref = useRef<HTMLPreElement>(null);
  const atBottom = useRef(true);
  useLayoutEffect(() => {
    const element = ref.current;
    if (element && atBottom.current) element.scrollTop = element.scrollHeight;
  }, [text]);
  const onScroll = (): void => {
    const element = ref.current;
    if (element) atBottom.current = element.scrollHeight - element.scrollTop - element.clientHeight < 24;
  };
  return { ref, onScroll };
}

/** The message box of an interactive agent: `proc.input`, delivered at its next step. */
function InputBox({ info }: { info: ProcessInfo }) {
  const send = useKernelStore((state) => state.input);
  const pending = useKernelStore(selectPending(info.pid));
  const [text, setText] = useState('');
  const live = !isTerminal(info.state);

  const submit = async (event: FormEvent<HTMLFormElement>): Promise<void> => {
    event.preventDefault();
    const trimmed = text.trim();
    if (trimmed === '') return;
    if (await send(info.pid, trimmed)) setText('');
  };

  return (
    <form className="console-input" onSubmit={(event) => void submit(event)}>
      <input
        aria-label={`Message to ${info.name}`}
        placeholder={live ? (info.state === 'waiting' ? `${info.name} is waiting for you` : 'Message, delivered at its next step') : 'The agent has finished'}
        value={text}
        disabled={!live}
        onChange={(event) => setText(event.target.value)}
      />
      <button type="submit" disabled={!live || text.trim() === '' || pending === 'input'}>
        Send
      </button>
    </form>
  );
}

function ProcessConsole({ pid }: { pid: number }) {
  const info = useKernelStore(selectProcess(pid));
  const text = useKernelStore(selectConsoleText(pid));
  const clear = useKernelStore((state) => state.clearConsole);
  const hydrate = useKernelStore((state) => state.hydrateConsole);
  const { ref, onScroll } = useFollowTail(text);

  useEffect(() => {
    void hydrate(pid);
  }, [hydrate, pid]);

  return (
    <>
      <div className="panel-head">
        <h2 id="console-title">
          Console ·{' '}
          {info ? (
            <>
              <AgentIcon icon={info.icon} /> {info.name}
            </>
          ) : (
            'process'
          )}{' '}
          <span className="muted">pid {pid}</span>
        </h2>
        {info ? <span className={`state state-${info.state}`}>{stateLabel(info)}</span> : null}
        <button type="button" className="quiet" onClick={() => clear(pid)} disabled={text === ''}>
          Clear
        </button>
      </div>
      {info ? (
        <p className="console-task" title={info.task}>
          <span className="muted">Task:</span> {info.task}
        </p>
      ) : null}
      <pre ref={ref} onScroll={onScroll} className="console-text" tabIndex={0} role="log" aria-live="off" aria-label={`Output of process ${pid}`}>
        {text === '' ? <span className="muted">No output yet.</span> : text}
      </pre>
      {info?.exit?.answer !== undefined ? (
        <div className="answer" aria-label="Answer">
          <h3>Answer</h3>
          <p>{info.exit.answer}</p>
        </div>
      ) : null}
      {info?.kind === 'interactive' ? <InputBox info={info} /> : null}
    </>
  );
}

/** The selected agent's streamed output, tool calls and results, and its message box. */
export function ConsolePanel() {
  const pid = useKernelStore(selectSelectedPid);
  return (
    <section className="panel console" aria-labelledby="console-title">
      {pid === null ? (
        <>
          <div className="panel-head">
            <h2 id="console-title">Console</h2>
          </div>
          <p className="empty">Pick an agent in the table to follow its output and tool calls.</p>
        </>
      ) : (
        <ProcessConsole key={pid} pid={pid} />
      )}
    </section>
  );
}
