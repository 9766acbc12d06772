import { memo, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { useKernelStore } from '../../store/kernel-store.js';
import { selectGrant, selectGrantIds } from '../../store/sandbox.selectors.js';
import { selectAgents } from '../../store/selectors.js';
import { formatClock } from '../common/format.js';
import { AgentIcon } from '../common/agent-icon.js';
import { TablePanel, type TableColumn } from '../common/table-panel.js';

const GrantRow = memo(function GrantRow({ grantId }: { grantId: string }) {
  const grant = useKernelStore(selectGrant(grantId));
  const agents = useKernelStore(selectAgents);
  const revoke = useKernelStore((state) => state.revokeGrant);
  const [revoking, setRevoking] = useState(false);
  if (!grant) return null;
  const agent = agents.find((entry) => entry.id === grant.agentId);
  return (
    <tr data-grant={grant.id}>
      <th scope="row">
        {agent ? (
          <>
            <span className="icon" aria-hidden="true">
              <AgentIcon icon={agent.icon} />
            </span>{' '}
            {agent.name}
          </>
        ) : (
          grant.agentId
        )}
      </th>
      <td>
        <code>{grant.tool === '*' ? 'any tool' : grant.tool}</code>
      </td>
      <td>
        <code>{grant.capability}</code>
      </td>
      <td>
        {grant.effect === 'deny' ? (
          <span className="scope scope-deny">{grant.scope === 'always' ? 'denied, never ask' : 'denied this session'}</span>
        ) : (
          <span className={`scope scope-${grant.scope}`}>{grant.scope}</span>
        )}
      </td>
      <td className="num">{formatClock(grant.grantedAt)}</td>
      <td className="num">{grant.uses}</td>
      <td className="num">{grant.lastUsedAt === null ? '–' : formatClock(grant.lastUsedAt)}</td>
      <td className="actions">
        <button
          type="button"
          className="danger"
          aria-label={grant.effect === 'deny' ? `Revoke the deny of ${grant.capability} for ${agent?.name ?? grant.agentId}` : `Revoke ${grant.capability} from ${agent?.name ?? grant.agentId}`}
          disabled={revoking}
          onClick={() => {
            setRevoking(true);
            void revoke(grant.id).then(() => setRevoking(false));
          }}
        >
          Revoke
        </button>
      </td>
    </tr>
  );
});

const GRANT_COLUMNS: readonly TableColumn[] = [
  { label: 'Agent' },
  { label: 'Tool' },
  { label: 'Capability' },
  { label: 'Scope' },
  { label: 'Granted', numeric: true },
  { label: 'Uses', numeric: true },
  { label: 'Last used', numeric: true },
  { label: 'Actions', className: 'actions', hidden: true },
];

/** Every standing grant, newest first, with its uses; revoking takes effect at the next call. */
export function GrantsTable() {
  const ids = useKernelStore(useShallow(selectGrantIds));
  return (
    <TablePanel
      titleId="grants-title"
      title="Grants"
      className="grants"
      head={<span className="muted hint">{ids.length} standing (grants and denies)</span>}
      columns={GRANT_COLUMNS}
      empty={ids.length === 0 ? <p className="empty">No grants. Agents are asked when they need a capability.</p> : null}
    >
      {ids.map((id) => (
        <GrantRow key={id} grantId={id} />
      ))}
    </TablePanel>
  );
}
