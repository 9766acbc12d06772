import { memo, useEffect, useState, type FormEvent } from 'react';
import type { CoreInfo } from '../../../src-shared/index.js';
import { RemoteCoreConfig } from '../../../src-shared/index.js';
import { capabilityWords } from '../../store/cores.slice.js';
import { useKernelStore } from '../../store/kernel-store.js';
import { TablePanel, type TableColumn } from '../common/table-panel.js';

const CORE_COLUMNS: readonly TableColumn[] = [
  { label: 'Core' },
  { label: 'Health' },
  { label: 'Model' },
  { label: 'Slots', numeric: true },
  { label: 'Queued', numeric: true },
  { label: 'Latency', numeric: true },
  { label: 'Can do' },
  { label: 'Actions', className: 'actions', hidden: true },
];

const KIND_LABEL: Record<CoreInfo['kind'], string> = { local: 'this machine', 'llama-server': 'llama-server', openai: 'OpenAI-compatible' };

const CoreRow = memo(function CoreRow({ core }: { core: CoreInfo }) {
  const remove = useKernelStore((state) => state.removeCore);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const words = capabilityWords(core.capabilities);
  return (
    <tr data-core={core.name} data-health={core.health}>
      <th scope="row">
        {core.name}
        <div className="muted core-where">
          {KIND_LABEL[core.kind]}
          {core.url ? <code>{` ${core.url}`}</code> : null}
          {core.tokenEnv ? <span title="the kernel reads the bearer token from this environment variable">{` · token from $${core.tokenEnv}`}</span> : null}
        </div>
      </th>
      <td>
        <span className={`state-pill core-${core.health}`}>{core.health}</span>
        {core.reason ? <div className="muted core-reason">{core.reason}</div> : null}
      </td>
      <td>{core.model ? <code>{core.model}</code> : <span className="muted">–</span>}</td>
      <td className="num" title={`${core.busySlots} of ${core.slots} slots busy`}>
        {core.busySlots}/{core.slots}
      </td>
      <td className="num">{core.queued}</td>
      <td className="num">{core.latencyMs === null ? '–' : `${Math.round(core.latencyMs)} ms`}</td>
      <td>
        <ul className="core-capabilities" aria-label={`What ${core.name} can do`}>
          {words.map((word) => (
            <li key={word} className={word.startsWith('no ') ? 'core-lacks' : undefined}>
              {word}
            </li>
          ))}
        </ul>
      </td>
      <td className="actions">
        {core.kind === 'local' ? null : confirming ? (
          <>
            <span className="confirm-text">Remove {core.name}? Its agents move to another core that serves their model, or are suspended.</span>
            <button
              type="button"
              className="danger"
              disabled={busy}
              onClick={() => {
                setBusy(true);
                void remove(core.name).then((done) => {
                  setBusy(false);
                  if (done) setConfirming(false);
                });
              }}
            >
              Remove for good
            </button>
            <button type="button" className="quiet" onClick={() => setConfirming(false)}>
              Keep
            </button>
          </>
        ) : (
          <button type="button" className="danger" aria-label={`Remove core ${core.name}`} onClick={() => setConfirming(true)}>
            Remove
          </button>
        )}
      </td>
    </tr>
  );
});

export interface Draft {
  name: string;
  url: string;
  kind: 'llama-server' | 'openai';
  tokenEnv: string;
  model: string;
}

const EMPTY_DRAFT: Draft = { name: '', url: '', kind: 'llama-server', tokenEnv: '', model: '' };

/**
 * What is wrong with the draft, in words, or the config to send. A URL with user info or a query,
 * or a token variable that looks like a token, is refused here: the URL is shown in every window
 * and the variable's name is stored in settings, so neither may carry a secret.
 */
export function checkCoreDraft(draft: Draft): { config: RemoteCoreConfig } | { problem: string } {
  const tokenEnv = draft.tokenEnv.trim();
  const model = draft.model.trim();
  let url: URL;
  try {
    url = new URL(draft.url.trim());
  } catch {
    return { problem: 'the URL is not a URL (e.g. http://10.0.0.5:8080)' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { problem: 'the URL must start with http:// or https://' };
  if (url.username || url.password || url.search) return { problem: 'keep credentials out of the URL: put the token in an environment variable and give its name' };
  if (tokenEnv !== '' && !/^[A-Z_][A-Z0-9_]*$/.test(tokenEnv)) return { problem: 'the token variable is the NAME of an environment variable (e.g. VLLM_TOKEN), never the token itself' };
  const parsed = RemoteCoreConfig.safeParse({
    name: draft.name.trim(),
    kind: draft.kind,
    url: draft.url.trim(),
    ...(tokenEnv ? { tokenEnv } : {}),
    ...(draft.kind === 'openai' && model ? { model } : {}),
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { problem: issue?.path[0] === 'name' ? 'the name takes letters, digits, dot, dash and underscore (up to 64)' : `${String(issue?.path[0] ?? 'core')}: ${issue?.message ?? 'invalid'}` };
  }
  return { config: parsed.data };
}

function AddCoreForm() {
  const add = useKernelStore((state) => state.addCore);
  const adding = useKernelStore((state) => state.cores.adding);
  const addError = useKernelStore((state) => state.cores.addError);
  const [draft, setDraft] = useState<Draft>(EMPTY_DRAFT);
  const checked = checkCoreDraft(draft);
  const touched = draft.name !== '' && draft.url !== '';
  const set = (change: Partial<Draft>): void => setDraft((previous) => ({ ...previous, ...change }));

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    if (!('config' in checked)) return;
    if (await add(checked.config)) setDraft(EMPTY_DRAFT);
  };

  return (
    <form className="core-form" aria-label="Add a core" onSubmit={(event) => void submit(event)}>
      <input type="text" aria-label="Core name" placeholder="name, e.g. gpu-box" value={draft.name} onChange={(event) => set({ name: event.target.value })} />
      <input type="text" aria-label="Core URL" placeholder="http://10.0.0.5:8080" value={draft.url} onChange={(event) => set({ url: event.target.value })} />
      <select aria-label="Core kind" value={draft.kind} onChange={(event) => set({ kind: event.target.value === 'openai' ? 'openai' : 'llama-server' })}>
        <option value="llama-server">llama-server</option>
        <option value="openai">OpenAI-compatible</option>
      </select>
      <input
        type="text"
        aria-label="Token variable"
        placeholder="token env var (optional)"
        title="the NAME of an environment variable on the kernel's machine that holds the bearer token; the token itself never goes here"
        autoComplete="off"
        spellCheck={false}
        value={draft.tokenEnv}
        onChange={(event) => set({ tokenEnv: event.target.value })}
      />
      {draft.kind === 'openai' ? (
        <input type="text" aria-label="Model id" placeholder="model id (optional)" value={draft.model} onChange={(event) => set({ model: event.target.value })} />
      ) : null}
      <button type="submit" disabled={adding || !('config' in checked)}>
        {adding ? 'Adding…' : 'Add core'}
      </button>
      {touched && 'problem' in checked ? (
        <p className="core-form-problem" role="note">
          {checked.problem}
        </p>
      ) : null}
      {addError ? (
        <p className="core-form-problem" role="alert">
          {addError}
        </p>
      ) : null}
    </form>
  );
}

/**
 * Where inference runs: the kernel's own model and the remote engines it schedules agents onto,
 * each with its health, load, and what it can and cannot do. Updated by `core.changed` events.
 */
export function CoresPanel() {
  const cores = useKernelStore((state) => state.cores.list);
  const refresh = useKernelStore((state) => state.refreshCores);
  const connected = useKernelStore((state) => state.client !== null);
  useEffect(() => {
    if (connected) void refresh();
  }, [connected, refresh]);
  const up = cores?.filter((core) => core.health === 'up').length ?? 0;
  return (
    <TablePanel
      titleId="cores-title"
      title="Cores"
      className="cores"
      head={<span className="muted hint">{cores === null ? 'reading…' : `${up} of ${cores.length} up`}</span>}
      beforeTable={<AddCoreForm />}
      columns={CORE_COLUMNS}
      empty={cores?.length === 0 ? <p className="empty">No cores: load a model, or add a llama-server or OpenAI-compatible engine above.</p> : null}
    >
      {(cores ?? []).map((core) => (
        <CoreRow key={core.name} core={core} />
      ))}
    </TablePanel>
  );
}
