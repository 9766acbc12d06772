import type { ReactNode } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { coreCounts } from '../store/cores.slice.js';
import { useKernelStore } from '../store/kernel-store.js';
import { selectKernelInfo, selectProcessTotals } from '../store/selectors.js';
import { formatBackend, formatBytes, formatRate } from './common/format.js';

function Item({ term, children, title, className }: { term: string; children: ReactNode; title?: string; className?: string }) {
  return (
    <div title={title} className={className}>
      <dt>{term}</dt>
      <dd>{children}</dd>
    </div>
  );
}

/**
 * The kernel at a glance: model, backend, memory, throughput. RAM shows what the kernel reports
 * (the model file, swapped KV in RAM); the kernel does not report its process memory.
 */
export function StatusBar() {
  const info = useKernelStore(selectKernelInfo);
  const totals = useKernelStore(useShallow(selectProcessTotals));
  const busySlots = useKernelStore((state) => Object.values(state.processes).filter((process) => process.state === 'running').length);
  const model = info?.model ?? null;
  const showView = useKernelStore((state) => state.showView);
  const loading = useKernelStore((state) => state.models.loading);
  const cores = useKernelStore(useShallow((state) => coreCounts(state.cores.list)));
  // Agents run on every core's slots: the local model's alone would read "2/1 busy".
  const poolSlots = useKernelStore((state) => state.cores.list?.filter((core) => core.health === 'up').reduce((sum, core) => sum + core.slots, 0) ?? null);
  const downCores = useKernelStore((state) => state.cores.list?.filter((core) => core.health !== 'up').map((core) => `${core.name}: ${core.health}${core.reason ? ` (${core.reason})` : ''}`).join('\n'));

  return (
    <footer className="status-bar">
      <dl aria-label="Kernel status">
        {model ? (
          <>
            <Item term="Model" title={model.path}>
              {model.name}
            </Item>
            <Item term="Backend" title={model.devices.join(', ') || undefined}>
              {formatBackend(model.backend)}
              {model.gpuLayers > 0 ? ` ${model.gpuLayers}/${model.totalLayers} layers` : ''} · {model.threads} {model.threads === 1 ? 'thread' : 'threads'}
            </Item>
            <Item term="Slots" title={poolSlots === null ? undefined : 'slots of every core that is up, the local model\'s and the remote engines\''}>
              {busySlots}/{poolSlots ?? model.slots} busy
            </Item>
            <Item term="Context">
              {model.contextSize} · KV {model.kvType}
            </Item>
            <Item term="VRAM">{model.vram ? `${formatBytes(model.vram.usedBytes)} / ${formatBytes(model.vram.totalBytes)}` : 'none (CPU)'}</Item>
            <Item term="RAM" title="the model file, and KV state swapped out to RAM; the kernel does not report its resident set size">
              model {formatBytes(model.sizeBytes)} · KV swap {formatBytes(totals.swappedRamBytes)}
              {totals.swappedDiskBytes > 0 ? ` · disk ${formatBytes(totals.swappedDiskBytes)}` : ''}
            </Item>
          </>
        ) : (
          <Item term="Model">
            {loading ? (
              <span>
                loading {loading.path.split(/[\\/]/).pop()} {Math.round(loading.progress * 100)}%
              </span>
            ) : (
              <span className="model-missing" title={info?.modelError ?? undefined}>
                none loaded{info?.modelError ? `: ${info.modelError}` : ''}
              </span>
            )}{' '}
            <button type="button" className="link" onClick={() => showView('models')}>
              Open Models
            </button>
          </Item>
        )}
        {cores ? (
          <Item term="Cores" title={downCores || 'every core answers'}>
            <button type="button" className="link" aria-label={`Cores: ${cores.up} of ${cores.total} up (details in Models)`} onClick={() => showView('models')}>
              <span className={cores.up < cores.total ? 'warning-count' : undefined}>
                {cores.up}/{cores.total} up
              </span>
            </button>
          </Item>
        ) : null}
        <Item term="Total">
          <span className="num">{formatRate(totals.tokensPerSecond)}</span> tok/s
        </Item>
        {info && info.warnings.length > 0 ? (
          <Item term="Warnings" title={info.warnings.join('\n')}>
            <span className="warning-count">{info.warnings.length}</span>
          </Item>
        ) : null}
        {info && info.journal.skippedLines > 0 ? (
          <Item term="Journal" title={info.journal.problems.join('\n')}>
            <span className="warning-count">{info.journal.skippedLines} skipped</span>
          </Item>
        ) : null}
        {info ? <Item term="Scheduler" className="grow">{`${info.scheduler.policy}, quantum ${info.scheduler.quantumTokens}, swap to ${info.scheduler.swap}`}</Item> : null}
      </dl>
    </footer>
  );
}
