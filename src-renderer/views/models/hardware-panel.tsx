import { useKernelStore } from '../../store/kernel-store.js';
import { selectKernelInfo } from '../../store/selectors.js';
import { formatBackend, formatBytes } from '../common/format.js';
import { ProgressBar } from './progress-bar.js';

/**
 * What runs where, said plainly: the GPU llama.cpp found (or that there is none), and for the
 * loaded model how many layers are on the GPU and how many stay on the CPU.
 */
export function HardwarePanel() {
  const gpu = useKernelStore((state) => state.models.overview?.gpu ?? null);
  const loading = useKernelStore((state) => state.models.loading);
  const info = useKernelStore(selectKernelInfo);
  const model = info?.model ?? null;

  let placement: string;
  if (!model) placement = 'No model is loaded.';
  else if (model.backend === 'cpu' || model.gpuLayers === 0) placement = `${model.name} runs entirely on the CPU (${model.threads} ${model.threads === 1 ? 'thread' : 'threads'}).`;
  else if (model.gpuLayers >= model.totalLayers) placement = `${model.name}: all ${model.totalLayers} layers are on the GPU.`;
  else placement = `${model.name}: ${model.gpuLayers} of ${model.totalLayers} layers are on the GPU; ${model.totalLayers - model.gpuLayers} run on the CPU (not enough free VRAM).`;

  return (
    <section className="panel hardware" aria-labelledby="hardware-title">
      <div className="panel-head">
        <h2 id="hardware-title">Hardware</h2>
      </div>
      <dl className="facts">
        <div>
          <dt>Backend</dt>
          <dd>{gpu ? `${formatBackend(gpu.backend)}${gpu.choice !== gpu.backend ? ` (asked for ${gpu.choice})` : ''}` : 'detecting…'}</dd>
        </div>
        <div>
          <dt>GPU</dt>
          <dd>{gpu ? (gpu.devices.length > 0 ? gpu.devices.join(', ') : 'none found: models run on the CPU') : '…'}</dd>
        </div>
        <div>
          <dt>VRAM</dt>
          <dd>{gpu?.vram ? `${formatBytes(gpu.vram.usedBytes)} used of ${formatBytes(gpu.vram.totalBytes)}` : 'none'}</dd>
        </div>
        <div>
          <dt>Placement</dt>
          <dd data-testid="placement">{placement}</dd>
        </div>
        {model ? (
          <div>
            <dt>Context</dt>
            <dd>
              {model.contextSize} tokens × {model.slots} slots (trained {model.trainContextSize}) · KV {model.kvType}
            </dd>
          </div>
        ) : null}
        {!model && info?.modelError ? (
          <div>
            <dt>Why</dt>
            <dd className="model-missing">{info.modelError}</dd>
          </div>
        ) : null}
      </dl>
      {gpu?.error ? <p className="model-missing">{gpu.error}</p> : null}
      {loading ? <ProgressBar label="Loading model" fraction={loading.progress} detail={`loading ${loading.path.split(/[\\/]/).pop()}`} /> : null}
    </section>
  );
}
