import { useShallow } from 'zustand/react/shallow';
import { useKernelStore } from '../../store/kernel-store.js';
import { selectFilter, selectProcessTotals, selectShowFinished } from '../../store/selectors.js';
import { ConsolePanel } from '../console/console-panel.js';
import { GalleryDock } from '../gallery/gallery-dock.js';
import { ProcessTable } from './process-table.js';

function Toolbar() {
  const filter = useKernelStore(selectFilter);
  const showFinished = useKernelStore(selectShowFinished);
  const setFilter = useKernelStore((state) => state.setFilter);
  const setShowFinished = useKernelStore((state) => state.setShowFinished);
  const totals = useKernelStore(useShallow(selectProcessTotals));
  const clearFinished = useKernelStore((state) => state.clearFinished);
  const finished = totals.total - totals.live;
  return (
    <div className="toolbar">
      <input
        type="search"
        aria-label="Filter agents"
        placeholder="Filter: pid, agent, state, class, task"
        value={filter}
        onChange={(event) => setFilter(event.target.value)}
      />
      <label className="check">
        <input type="checkbox" checked={showFinished} onChange={(event) => setShowFinished(event.target.checked)} />
        Show finished
      </label>
      <button type="button" className="quiet" disabled={finished === 0} onClick={() => void clearFinished()} title="Remove finished agents from the table (and their snapshots)">
        Clear finished
      </button>
      <p className="toolbar-counts" aria-label="Agent counts">
        <span>{totals.live} live</span>
        <span>{totals.running} running</span>
        <span>{finished} finished</span>
      </p>
    </div>
  );
}

/** Task Manager: the agents table on top; the selected agent's console and the gallery below. */
export function TaskManagerView() {
  return (
    <div className="view-tiles task-manager-view">
      <section className="panel task-manager" aria-labelledby="task-manager-title">
        <div className="panel-head">
          <h2 id="task-manager-title">Agents</h2>
          <Toolbar />
        </div>
        <ProcessTable />
      </section>
      <ConsolePanel />
      <GalleryDock />
    </div>
  );
}
