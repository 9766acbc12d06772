import type { CatalogModel } from '../../../src-shared/index.js';
import { useKernelStore } from '../../store/kernel-store.js';
import { isDownloadActive } from '../../store/models.slice.js';
import { formatBytes } from '../common/format.js';
import { describeTransfer, ProgressBar } from './progress-bar.js';
import { TablePanel, type TableColumn } from '../common/table-panel.js';

const CATALOG_COLUMNS: readonly TableColumn[] = [
  { label: 'Model' },
  { label: 'Role' },
  { label: 'Quant' },
  { label: 'Size', numeric: true },
  { label: 'VRAM', numeric: true },
  { label: 'Licence' },
  { label: 'Status' },
  { label: 'Actions', hidden: true },
];

function CatalogRow({ model, isDefault }: { model: CatalogModel; isDefault: boolean }) {
  const download = useKernelStore((state) => state.models.downloads[model.id]);
  const installed = useKernelStore((state) => state.models.overview?.installed.some((entry) => entry.file === model.file) ?? false);
  const start = useKernelStore((state) => state.downloadModel);
  const cancel = useKernelStore((state) => state.cancelDownload);
  const discard = useKernelStore((state) => state.deleteModel);
  const paused = useKernelStore((state) => state.models.overview?.paused.find((entry) => entry.id === model.id));
  const active = isDownloadActive(download);

  let status;
  if (active) {
    const detail =
      download.state === 'verifying'
        ? 'checking the file'
        : download.state === 'retrying'
          ? `retrying (attempt ${download.attempt + 1}): ${download.error ?? ''}`
          : describeTransfer(download.receivedBytes, download.totalBytes, download.bytesPerSecond, download.secondsLeft);
    status = <ProgressBar label={`Downloading ${model.name}`} fraction={download.totalBytes > 0 ? download.receivedBytes / download.totalBytes : null} detail={detail} />;
  } else if (installed) {
    status = <span className="state-pill in-use">installed</span>;
  } else if (paused) {
    // Stopped part-way, by the user or the network: the partial file waits to be resumed.
    const reason = download?.state === 'failed' && !/cancelled/.test(download.error ?? '') ? download.error : undefined;
    status = (
      <span className="muted" role="status" title={reason}>
        paused at {formatBytes(paused.receivedBytes)} of {formatBytes(paused.totalBytes)}: resumes from there
        {reason ? <span className="model-missing"> ({reason})</span> : null}
      </span>
    );
  } else if (download?.state === 'failed') {
    status = (
      <span className="model-missing" role="status">
        {download.error ?? 'failed'}
      </span>
    );
  } else {
    status = <span className="muted">not installed</span>;
  }

  return (
    <tr data-catalog={model.id}>
      <th scope="row">
        {model.name}
        {isDefault ? <span className="badge badge-muted">default</span> : null}
        <div className="muted small">{model.notes}</div>
      </th>
      <td>{model.role}</td>
      <td>{model.quantization}</td>
      <td className="num">{formatBytes(model.sizeBytes)}</td>
      <td className="num">~{model.vramGiB} GiB</td>
      <td>{model.license}</td>
      <td className="download-status">{status}</td>
      <td className="actions">
        {active ? (
          <button type="button" className="quiet" aria-label={`Cancel download of ${model.name}`} onClick={() => void cancel(model.id)}>
            Cancel
          </button>
        ) : installed ? null : (
          <>
            <button type="button" aria-label={`Download ${model.name}`} onClick={() => void start(model.id)}>
              {paused ? 'Resume' : download?.state === 'failed' ? 'Retry' : 'Download'}
            </button>
            {paused ? (
              <button type="button" className="quiet" aria-label={`Discard the partial download of ${model.name}`} onClick={() => void discard(model.file)}>
                Discard
              </button>
            ) : null}
          </>
        )}
      </td>
    </tr>
  );
}

/** One empty list, so the selector returns the same value while the overview is unread. */
const NO_MODELS: readonly CatalogModel[] = [];

/** Recommended models with what they need; downloads resume where they stopped, and are checked before use. */
export function ModelCatalog() {
  const catalog = useKernelStore((state) => state.models.overview?.catalog ?? NO_MODELS);
  const defaultId = useKernelStore((state) => state.models.overview?.defaultId ?? null);
  return (
    <TablePanel
      titleId="catalog-title"
      title="Catalogue"
      className="model-catalog"
      head={<span className="muted hint">downloads resume after an interruption or a restart</span>}
      columns={CATALOG_COLUMNS}
    >
      {catalog.map((model) => (
        <CatalogRow key={model.id} model={model} isDefault={model.id === defaultId} />
      ))}
    </TablePanel>
  );
}
