import { useState } from 'react';
import type { InstalledModel, ModelInfo } from '../../../src-shared/index.js';
import { isTerminal } from '../../../src-shared/index.js';
import { useKernelStore } from '../../store/kernel-store.js';
import { formatBytes } from '../common/format.js';
import { TablePanel, type TableColumn } from '../common/table-panel.js';

const INSTALLED_COLUMNS: readonly TableColumn[] = [{ label: 'File' }, { label: 'From' }, { label: 'Size', numeric: true }, { label: 'Status' }, { label: 'Actions', hidden: true }];

function InstalledRow({ model }: { model: InstalledModel }) {
  const inUse = useKernelStore((state) => state.models.overview?.inUse === model.path);
  const loadingThis = useKernelStore((state) => state.models.loading?.path === model.path);
  const catalogName = useKernelStore((state) => state.models.overview?.catalog.find((entry) => entry.id === model.catalogId)?.name ?? null);
  const liveAgents = useKernelStore((state) => Object.values(state.processes).filter((info) => !isTerminal(info.state)).length);
  const loadModel = useKernelStore((state) => state.loadModel);
  const deleteModel = useKernelStore((state) => state.deleteModel);
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);

  const run = (action: () => Promise<unknown>): void => {
    setBusy(true);
    void action().finally(() => setBusy(false));
  };

  return (
    <tr data-model={model.file} aria-current={inUse ? 'true' : undefined}>
      <th scope="row">
        <code>{model.file}</code>
      </th>
      <td>{catalogName ?? 'imported'}</td>
      <td className="num">{formatBytes(model.sizeBytes)}</td>
      <td>{inUse ? <span className="state-pill in-use">in use</span> : loadingThis ? <span className="state-pill">loading…</span> : <span className="muted">installed</span>}</td>
      <td className="actions">
        {confirming ? (
          <>
            <span className="confirm-text">Delete {model.file}?</span>
            <button
              type="button"
              className="danger"
              disabled={busy}
              onClick={() =>
                run(async () => {
                  if (await deleteModel(model.file)) setConfirming(false);
                })
              }
            >
              Delete for good
            </button>
            <button type="button" className="quiet" onClick={() => setConfirming(false)}>
              Keep
            </button>
          </>
        ) : (
          <>
            <button
              type="button"
              disabled={busy || inUse || loadingThis}
              title={liveAgents > 0 ? 'stop the live agents first: they hold state of the current model' : undefined}
              aria-label={`Load ${model.file}`}
              onClick={() => run(() => loadModel(model.file))}
            >
              Load
            </button>
            <button type="button" className="danger" disabled={busy || inUse} aria-label={`Delete ${model.file}`} onClick={() => setConfirming(true)}>
              Delete
            </button>
          </>
        )}
      </td>
    </tr>
  );
}

/** The loaded model when it is not in the models folder (given by path: --model, AMK_MODEL, config.json). */
function ExternalModelRow({ model }: { model: ModelInfo }) {
  return (
    <tr data-model={model.name} aria-current="true">
      <th scope="row">
        <code title={model.path}>{model.path.split(/[\\/]/).pop()}</code>
      </th>
      <td title={model.path}>loaded by path</td>
      <td className="num">{formatBytes(model.sizeBytes)}</td>
      <td>
        <span className="state-pill in-use">in use</span>
      </td>
      <td className="actions">
        <span className="muted">outside the models folder</span>
      </td>
    </tr>
  );
}

/** The models folder: what is on disk, which one is in use (wherever it came from), and load or delete. */
export function InstalledModels() {
  const installed = useKernelStore((state) => state.models.overview?.installed ?? null);
  const directory = useKernelStore((state) => state.models.overview?.directory ?? '');
  const loaded = useKernelStore((state) => state.info?.model ?? null);
  const external = loaded !== null && installed !== null && !installed.some((model) => model.path === loaded.path) ? loaded : null;
  const total = (installed ?? []).reduce((sum, model) => sum + model.sizeBytes, 0);
  return (
    <TablePanel
      titleId="installed-title"
      title="Installed"
      className="installed-models"
      head={
        <span className="muted hint" title={directory}>
          {installed === null
            ? 'reading…'
            : `${installed.length} ${installed.length === 1 ? 'model' : 'models'} in the folder · ${formatBytes(total)} on disk${external ? ' · 1 loaded by path' : ''}`}
        </span>
      }
      columns={INSTALLED_COLUMNS}
      empty={installed !== null && installed.length === 0 && !external ? <p className="empty">No models yet: download one below, or drop a .gguf file here.</p> : null}
    >
      {external ? <ExternalModelRow model={external} /> : null}
      {(installed ?? []).map((model) => (
        <InstalledRow key={model.file} model={model} />
      ))}
    </TablePanel>
  );
}
