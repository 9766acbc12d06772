import { useShallow } from 'zustand/react/shallow';
import { useKernelStore } from '../store/kernel-store.js';
import { selectFilter, selectShowFinished, selectVisiblePids } from '../store/selectors.js';
import { ProcessRow } from './process-row.js';

const COLUMNS = [
  ['PID', 'num'],
  ['Agent', ''],
  ['State', ''],
  ['Class', ''],
  ['Nice', 'num'],
  ['Slot', 'num'],
  ['tok/s', 'num'],
  ['Tokens in / out', 'num'],
  ['Steps', 'num'],
  ['Tool calls', 'num'],
  ['Uptime', 'num'],
  ['Actions', 'actions'],
] as const;

function Toolbar() {
  const filter = useKernelStore(selectFilter);
  const showFinished = useKernelStore(selectShowFinished);
  const setFilter = useKernelStore((state) => state.setFilter);
  const setShowFinished = useKernelStore((state) => state.setShowFinished);
  return (
    <div className="toolbar">
      <input
        type="search"
        aria-label="Filter processes"
        placeholder="Filter: pid, agent, state, class, task"
        value={filter}
        onChange={(event) => setFilter(event.target.value)}
      />
      <label className="check">
        <input type="checkbox" checked={showFinished} onChange={(event) => setShowFinished(event.target.checked)} />
        Show finished
      </label>
    </div>
  );
}

/** The process table. It re-renders when rows come, go or stop matching; counters re-render one row. */
export function TaskManager() {
  const pids = useKernelStore(useShallow(selectVisiblePids));
  const anyProcesses = useKernelStore((state) => Object.keys(state.processes).length > 0);

  return (
    <section className="panel task-manager" aria-labelledby="task-manager-title">
      <div className="panel-head">
        <h2 id="task-manager-title">Processes</h2>
        <Toolbar />
      </div>
      <div className="table-scroll">
        <table aria-labelledby="task-manager-title">
          <thead>
            <tr>
              {COLUMNS.map(([label, className]) => (
                <th key={label} scope="col" className={className || undefined}>
                  {label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {pids.map((pid) => (
              <ProcessRow key={pid} pid={pid} />
            ))}
          </tbody>
        </table>
        {pids.length === 0 ? (
          <p className="empty">{anyProcesses ? 'No process matches the filter.' : 'No processes yet. Start an agent from the gallery.'}</p>
        ) : null}
      </div>
    </section>
  );
}
