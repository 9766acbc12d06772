import { memo, useEffect, useState, type FormEvent } from 'react';
import type { ClientToken } from '../../../src-shared/index.js';
import { ClientTokenName } from '../../../src-shared/index.js';
import { useKernelStore } from '../../store/kernel-store.js';
import { formatClock } from '../common/format.js';
import { TablePanel, type TableColumn } from '../common/table-panel.js';

const TokenRow = memo(function TokenRow({ token }: { token: ClientToken }) {
  const revoke = useKernelStore((state) => state.revokeClientToken);
  const [revoking, setRevoking] = useState(false);
  return (
    <tr data-token={token.name}>
      <th scope="row">{token.name}</th>
      <td>
        <code>{token.agentId}</code>
      </td>
      <td className="num">{formatClock(token.createdAt)}</td>
      <td className="num">{token.lastUsedAt === null ? '–' : formatClock(token.lastUsedAt)}</td>
      <td className="actions">
        <button
          type="button"
          className="danger"
          aria-label={`Revoke the token ${token.name}`}
          disabled={revoking}
          onClick={() => {
            setRevoking(true);
            void revoke(token.name).then(() => setRevoking(false));
          }}
        >
          Revoke
        </button>
      </td>
    </tr>
  );
});

/** The secret of the token just made: shown once, here, until dismissed. */
const TOKEN_COLUMNS: readonly TableColumn[] = [
  { label: 'Name' },
  { label: 'Runs as' },
  { label: 'Created', numeric: true },
  { label: 'Last used', numeric: true },
  { label: 'Actions', className: 'actions', hidden: true },
];

function FreshSecret() {
  const fresh = useKernelStore((state) => state.clientTokens.fresh);
  const dismiss = useKernelStore((state) => state.dismissClientTokenSecret);
  if (!fresh) return null;
  return (
    <div className="token-secret" role="status">
      <p>
        The token <strong>{fresh.name}</strong>, shown this once: give it to the MCP client as <code>Authorization: Bearer …</code> on <code>/mcp</code>, or as{' '}
        <code>AMK_MCP_TOKEN</code> for <code>amk mcp</code>.
      </p>
      <code aria-label={`Secret of the token ${fresh.name}`}>{fresh.secret}</code>{' '}
      <button type="button" onClick={dismiss}>
        Done
      </button>
    </div>
  );
}

/**
 * MCP clients' tokens: each client gets its own (its sessions run as `mcp-client-NAME`, under that
 * agent's grants, on /mcp only); revoking one ends its sessions.
 */
export function TokensPanel() {
  const tokens = useKernelStore((state) => state.clientTokens.list);
  const refresh = useKernelStore((state) => state.refreshClientTokens);
  const create = useKernelStore((state) => state.createClientToken);
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const valid = ClientTokenName.safeParse(name);
  useEffect(() => void refresh(), [refresh]);

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    if (!valid.success) return;
    setBusy(true);
    if (await create(name)) setName('');
    setBusy(false);
  };

  return (
    <TablePanel
      titleId="tokens-title"
      title="MCP client tokens"
      className="tokens"
      head={<span className="muted hint">{tokens?.length ?? 0} issued</span>}
      beforeTable={
        <>
          <form className="token-form" onSubmit={(event) => void submit(event)}>
            <input
              type="text"
              aria-label="New token name"
              placeholder="client name, e.g. claude-desktop"
              value={name}
              aria-invalid={name !== '' && !valid.success}
              title={name !== '' && !valid.success ? valid.error.issues[0]?.message : undefined}
              onChange={(event) => setName(event.target.value.trim())}
            />
            <button type="submit" disabled={busy || !valid.success}>
              New token
            </button>
          </form>
          <FreshSecret />
        </>
      }
      columns={TOKEN_COLUMNS}
      empty={tokens?.length === 0 ? <p className="empty">No client tokens. MCP clients with the administrator&apos;s token run as mcp-client-admin.</p> : null}
    >
      {(tokens ?? []).map((token) => (
        <TokenRow key={token.name} token={token} />
      ))}
    </TablePanel>
  );
}
