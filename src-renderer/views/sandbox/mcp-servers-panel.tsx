import { useCallback, useEffect, useState } from 'react';
import type { McpServerStatus } from '../../../src-shared/index.js';
import { useKernelStore } from '../../store/kernel-store.js';
import { TablePanel, type TableColumn } from '../common/table-panel.js';

/** How a server runs, in words: a native server is never inside the Wasm sandbox, whatever confines it. */
export function runsLabel(server: McpServerStatus): { runs: string; confinement: string; unconfined: boolean } {
  if (server.transport.kind === 'http') return { runs: 'Remote endpoint: the kernel sends it tool arguments', confinement: server.transport.url, unconfined: false };
  if (server.sandbox === 'none') return { runs: 'Runs outside the sandbox, with your rights', confinement: `Not confined: ${server.sandboxWarning ?? 'no OS sandbox'}`, unconfined: true };
  const folders = server.transport.folders.length > 0 ? `; read-write: ${server.transport.folders.join(', ')}` : '';
  return {
    runs: 'Runs outside the sandbox, with your rights',
    confinement: `Confined by bubblewrap: no home, ${server.network ? 'network allowed' : 'no network'}${folders}`,
    unconfined: false,
  };
}

const SERVER_COLUMNS: readonly TableColumn[] = [{ label: 'Name' }, { label: 'Health' }, { label: 'How it runs' }, { label: 'Tools', numeric: true }];

function ServerRow({ server }: { server: McpServerStatus }) {
  const label = runsLabel(server);
  const command = server.transport.kind === 'stdio' ? [server.transport.command, ...server.transport.args].join(' ') : server.transport.url;
  return (
    <tr data-server={server.name}>
      <th scope="row">
        {server.name}
        <div className="muted mcp-command">
          <code>{command}</code>
        </div>
      </th>
      <td>
        <span className={server.health === 'healthy' ? 'badge' : 'badge badge-warn'}>{server.health}</span>
        {server.error ? <div className="muted">{server.error}</div> : null}
      </td>
      <td>
        <div>{label.runs}</div>
        <div className={label.unconfined ? 'mcp-unconfined' : 'muted'}>{label.confinement}</div>
      </td>
      <td className="num">{server.tools.length}</td>
    </tr>
  );
}

/**
 * The external MCP servers the user registered (`amk mcp-servers add`), each with how it runs:
 * a native one with the user's rights, confined by bubblewrap where it works, and a warning where not.
 */
export function McpServersPanel() {
  const callKernel = useKernelStore((state) => state.callKernel);
  const connected = useKernelStore((state) => state.client !== null);
  const [servers, setServers] = useState<readonly McpServerStatus[] | null>(null);
  const refresh = useCallback(async () => {
    const list = await callKernel('mcp.servers.list', {});
    if (list) setServers(list);
  }, [callKernel]);
  useEffect(() => {
    if (connected) void refresh();
  }, [connected, refresh]);
  const warning = servers?.find((server) => server.sandboxWarning)?.sandboxWarning;

  return (
    <TablePanel
      titleId="mcp-servers-title"
      title="MCP servers"
      className="mcp-servers"
      head={
        <>
          <span className="muted hint">{servers?.length ?? 0} registered</span>
          <button type="button" className="mcp-refresh" onClick={() => void refresh()}>
            Refresh
          </button>
        </>
      }
      beforeTable={
        warning ? (
          <p className="mcp-unconfined" role="note">
            {warning}
          </p>
        ) : null
      }
      columns={SERVER_COLUMNS}
      empty={
        servers?.length === 0 ? (
          <p className="empty">
            No MCP servers. Add one with <code>amk mcp-servers add NAME --command &quot;…&quot;</code>: it runs outside the sandbox, with your rights.
          </p>
        ) : null
      }
    >
      {(servers ?? []).map((server) => (
        <ServerRow key={server.name} server={server} />
      ))}
    </TablePanel>
  );
}
