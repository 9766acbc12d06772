import { useDeferredValue, useEffect, useState } from 'react';
import type { KernelResult } from '../../../src-shared/index.js';
import { useShallow } from 'zustand/react/shallow';
import { useKernelStore } from '../../store/kernel-store.js';
import { selectMemoryPids, selectMemoryStatus, selectPagedBlocks, selectProcessMemory, selectRecalls } from '../../store/scheduler.selectors.js';
import { formatClock, formatCount } from '../common/format.js';

const REGIONS = ['system', 'working', 'recall', 'fifo', 'summary'] as const;

function PidOption({ pid }: { pid: number }) {
  const name = useKernelStore((state) => state.processes[pid]?.name ?? 'process');
  return (
    <option value={pid}>
      {pid} · {name}
    </option>
  );
}

/** The agent's context window by region, and its paged-out totals as the kernel reports them. */
function Layout({ pid }: { pid: number }) {
  const memory = useKernelStore(selectProcessMemory(pid));
  if (!memory) return <p className="empty">No layout reported for this agent yet (it arrives before each step).</p>;
  const used = REGIONS.reduce((sum, region) => sum + memory.regions[region], 0);
  return (
    <div className="memory-layout">
      <span className="region-bar" role="img" aria-label={`Context window by region: ${REGIONS.map((region) => `${region} ${memory.regions[region]}`).join(', ')} of ${memory.contextSize} tokens`}>
        {REGIONS.map((region) => (
          <span key={region} className={`region region-${region}`} style={{ width: `${((memory.regions[region] / Math.max(memory.contextSize, used)) * 100).toFixed(2)}%` }} />
        ))}
      </span>
      <ul className="region-legend">
        {REGIONS.map((region) => (
          <li key={region}>
            <span className={`swatch region-${region}`} aria-hidden="true" /> {region} <span className="num">{formatCount(memory.regions[region])}</span>
          </li>
        ))}
        <li className="muted">
          paged out: <span className="num">{formatCount(memory.pagedOutBlocks)}</span> blocks, <span className="num">{formatCount(memory.pagedOutTokens)}</span> tokens
        </li>
      </ul>
    </div>
  );
}

function Blocks({ pid, query }: { pid: number; query: string }) {
  const blocks = useKernelStore(selectPagedBlocks(pid));
  const recalls = useKernelStore(useShallow(selectRecalls(pid)));
  const needle = query.trim().toLowerCase();
  const shown = (blocks ?? []).filter((block) => needle === '' || block.summary.toLowerCase().includes(needle) || block.blockId.includes(needle)).reverse();
  return (
    <div className="paged-blocks">
      {shown.length === 0 ? (
        <p className="empty">{blocks === undefined ? 'No blocks paged out since this page connected.' : 'No block summary matches.'}</p>
      ) : (
        <ul aria-label="Paged-out blocks">
          {shown.map((block) => (
            <li key={block.blockId}>
              <span className="num muted">{formatClock(block.at)}</span> <code>{block.blockId}</code> <span className="num">{block.tokens} tok</span>
              {block.stored ? null : <span className="kv-swapped"> journal only</span>}
              <span className="block-summary">{block.summary}</span>
            </li>
          ))}
        </ul>
      )}
      {recalls.length > 0 ? (
        <p className="muted recalls">
          Recalled {recalls.length} times; last: {recalls[0]!.blocks.map((block) => `${block.blockId} (${block.score.toFixed(2)})`).join(', ')}
        </p>
      ) : null}
    </div>
  );
}

type Found = KernelResult<'memory.blocks'>;

/** Hybrid search (vector + full text) over everything the agent ever paged out, through `memory.blocks`. */
function SearchResults({ pid, query }: { pid: number; query: string }) {
  const agentId = useKernelStore((state) => state.processes[pid]?.agentId ?? null);
  const call = useKernelStore((state) => state.callKernel);
  const [found, setFound] = useState<Found | null>(null);
  useEffect(() => {
    let current = true;
    setFound(null);
    if (agentId) void call('memory.blocks', { agentId, query, limit: 20 }).then((answer) => current && setFound(answer ?? []));
    return () => {
      current = false;
    };
  }, [agentId, query, call]);
  if (found === null) return <p className="empty">Searching…</p>;
  if (found.length === 0) return <p className="empty">Nothing in this agent's long-term memory matches.</p>;
  return (
    <div className="paged-blocks">
      <ul aria-label="Memory search results">
        {found.map((block) => (
          <li key={block.blockId}>
            <code>{block.blockId}</code> <span className="num">{block.tokens} tok</span> <span className="num muted">score {block.score?.toFixed(3)}</span>
            <span className="block-summary">{block.summary}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

/**
 * Per agent: its window by region and the blocks it paged out to long-term memory; the search box
 * searches all of the agent's paged memory in the kernel (hybrid: vector and full text).
 */
export function PagedMemory() {
  const pids = useKernelStore(useShallow(selectMemoryPids));
  const status = useKernelStore(selectMemoryStatus);
  const [picked, setPicked] = useState<string>('');
  const [query, setQuery] = useState('');
  const deferredQuery = useDeferredValue(query);
  const pid = picked !== '' && pids.includes(Number(picked)) ? Number(picked) : (pids[0] ?? null);

  return (
    <section className="panel paged" aria-labelledby="paged-title">
      <div className="panel-head">
        <h2 id="paged-title">Paged memory</h2>
        <span className={status?.available ? 'muted hint' : 'hint kv-swapped'}>
          {status === null ? '' : status.available ? 'long-term memory: available' : `long-term memory unavailable: ${status.reason ?? 'unknown reason'}`}
        </span>
        <div className="toolbar">
          <select aria-label="Agent" value={pid ?? ''} onChange={(event) => setPicked(event.target.value)} disabled={pids.length === 0}>
            {pids.length === 0 ? <option value="">No agents</option> : null}
            {pids.map((live) => (
              <PidOption key={live} pid={live} />
            ))}
          </select>
          <input
            type="search"
            aria-label="Search paged memory"
            placeholder="Search this agent's memory"
            value={query}
            disabled={pid === null}
            onChange={(event) => setQuery(event.target.value)}
          />
        </div>
      </div>
      {pid === null ? (
        <p className="empty">No agents: their paged memory shows here.</p>
      ) : (
        <div className="paged-body">
          <Layout pid={pid} />
          {deferredQuery.trim() === '' ? <Blocks pid={pid} query="" /> : <SearchResults pid={pid} query={deferredQuery.trim()} />}
        </div>
      )}
    </section>
  );
}
