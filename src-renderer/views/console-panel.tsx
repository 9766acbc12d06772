import { useLayoutEffect, useRef } from 'react';
import { useKernelStore } from '../store/kernel-store.js';
import { selectConsoleText, selectProcess, selectSelectedPid } from '../store/selectors.js';

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

function ProcessConsole({ pid }: { pid: number }) {
  const info = useKernelStore(selectProcess(pid));
  const text = useKernelStore(selectConsoleText(pid));
  const clear = useKernelStore((state) => state.clearConsole);
  const { ref, onScroll } = useFollowTail(text);

  return (
    <>
      <div className="panel-head">
        <h2 id="console-title">
          Output of {info ? `${info.icon} ${info.name}` : 'process'} <span className="muted">(pid {pid})</span>
        </h2>
        <button type="button" className="quiet" onClick={() => clear(pid)} disabled={text === ''}>
          Clear
        </button>
      </div>
      {info ? (
        <p className="console-task">
          <span className="muted">Task:</span> {info.task}
        </p>
      ) : null}
      <pre ref={ref} onScroll={onScroll} className="console-text" tabIndex={0} aria-label={`Output of process ${pid}`}>
        {text === '' ? <span className="muted">No output since this page connected.</span> : text}
      </pre>
      {info?.exit?.answer !== undefined ? (
        <div className="answer">
          <h3>Answer</h3>
          <p>{info.exit.answer}</p>
        </div>
      ) : null}
    </>
  );
}

export function ConsolePanel() {
  const pid = useKernelStore(selectSelectedPid);
  return (
    <section className="panel console" aria-labelledby="console-title">
      {pid === null ? (
        <>
          <div className="panel-head">
            <h2 id="console-title">Output</h2>
          </div>
          <p className="empty">Pick a process to follow its output.</p>
        </>
      ) : (
        <ProcessConsole key={pid} pid={pid} />
      )}
    </section>
  );
}
