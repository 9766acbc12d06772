import { useShallow } from 'zustand/react/shallow';
import type { KernelInfo } from '../../src-shared/index.js';
import { useKernelStore } from '../store/kernel-store.js';
import { selectConnection, selectKernelInfo, selectProcessTotals, selectTheme } from '../store/selectors.js';
import { formatBytes, formatRate } from './format.js';

function ModelSummary({ info }: { info: KernelInfo }) {
  const model = info.model;
  if (!model) {
    return (
      <p className="model model-missing" role="status">
        No model loaded{info.modelError ? `: ${info.modelError}` : ''}
      </p>
    );
  }
  return (
    <dl className="model" aria-label="Model">
      <div>
        <dt>Model</dt>
        <dd title={model.path}>{model.name}</dd>
      </div>
      <div>
        <dt>Backend</dt>
        <dd>
          {model.backend}
          {model.gpuLayers > 0 ? ` (${model.gpuLayers}/${model.totalLayers} layers)` : ''}
        </dd>
      </div>
      <div>
        <dt>Threads</dt>
        <dd>{model.threads}</dd>
      </div>
      <div>
        <dt>Slots</dt>
        <dd>{model.slots}</dd>
      </div>
      <div>
        <dt>Context</dt>
        <dd>{model.contextSize}</dd>
      </div>
      {model.vram ? (
        <div>
          <dt>VRAM</dt>
          <dd>
            {formatBytes(model.vram.usedBytes)} / {formatBytes(model.vram.totalBytes)}
          </dd>
        </div>
      ) : null}
    </dl>
  );
}

function Totals() {
  const totals = useKernelStore(useShallow(selectProcessTotals));
  return (
    <p className="totals" aria-label="Process totals">
      <span>{totals.live} live</span>
      <span>{totals.running} running</span>
      <span>{formatRate(totals.tokensPerSecond)} tok/s</span>
    </p>
  );
}

export function AppHeader() {
  const info = useKernelStore(selectKernelInfo);
  const connection = useKernelStore(selectConnection);
  const theme = useKernelStore(selectTheme);
  const setTheme = useKernelStore((state) => state.setTheme);

  return (
    <header className="app-header">
      <h1>
        <span className={`dot dot-${connection.status}`} role="img" aria-label={`Connection ${connection.status}`} />
        Agentic Microkernel
        {info ? <small>v{info.version}</small> : null}
      </h1>
      {info ? <ModelSummary info={info} /> : <p className="model">…</p>}
      <Totals />
      <button
        type="button"
        className="quiet"
        aria-pressed={theme === 'light'}
        onClick={() => setTheme(theme === 'light' ? 'dark' : 'light')}
      >
        Light theme
      </button>
    </header>
  );
}
