import { memo, useEffect, useMemo, useRef, useState } from 'react';
import type { InstalledTool } from '../../../src-shared/index.js';
import { useKernelStore } from '../../store/kernel-store.js';
import { useFileDrop } from '../models/import-zone.js';
import { SIGNATURE_LABEL, shortRequirement } from '../common/tool-facts.js';
import { TablePanel, type TableColumn } from '../common/table-panel.js';

/** Where focus goes back when the review dialog closes. */
const PICKER_ID = 'tools-install-button';
const DROP_ZONE_ID = 'tools-drop-zone';

const SOURCE_LABEL: Record<InstalledTool['source'], string> = { builtin: 'built-in', installed: 'installed', mcp: 'MCP' };
/** Third-party tools first: they are the ones a user reviews and removes. */
const SOURCE_ORDER: Record<InstalledTool['source'], number> = { installed: 0, mcp: 1, builtin: 2 };

const bySourceThenName = (a: InstalledTool, b: InstalledTool): number => SOURCE_ORDER[a.source] - SOURCE_ORDER[b.source] || a.name.localeCompare(b.name);

const ToolRow = memo(function ToolRow({ tool }: { tool: InstalledTool }) {
  const remove = useKernelStore((state) => state.removeTool);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  return (
    <tr data-tool={tool.name}>
      <th scope="row" title={tool.description}>
        <code>{tool.name}</code>
      </th>
      <td>
        <span className={`tool-source tool-source-${tool.source}`}>{SOURCE_LABEL[tool.source]}</span>
      </td>
      <td>{tool.publisher ?? <span className="muted">–</span>}</td>
      <td>{tool.signature ? <span className={`signature signature-badge-${tool.signature}`}>{SIGNATURE_LABEL[tool.signature]}</span> : <span className="muted">–</span>}</td>
      <td>{tool.sha256 ? <code title={tool.sha256}>{tool.sha256.slice(0, 12)}</code> : <span className="muted">–</span>}</td>
      <td>{tool.requires.length === 0 ? <span className="muted">nothing</span> : tool.requires.map(shortRequirement).join(', ')}</td>
      <td>{tool.hostFunctions.length === 0 ? <span className="muted">–</span> : <code>{tool.hostFunctions.join(' ')}</code>}</td>
      <td className="actions">
        {tool.source !== 'installed' ? null : confirming ? (
          <>
            <span className="confirm-text">Remove {tool.name}?</span>
            <button
              type="button"
              className="danger"
              disabled={busy}
              onClick={() => {
                setBusy(true);
                void remove(tool.name).then((done) => {
                  setBusy(false);
                  if (!done) setConfirming(false);
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
          <button type="button" className="danger" aria-label={`Remove ${tool.name}`} onClick={() => setConfirming(true)}>
            Remove
          </button>
        )}
      </td>
    </tr>
  );
});

/**
 * The tools the kernel can run, and third-party packages installed from a dropped or picked
 * archive: it goes to the kernel for review, and the review dialog asks before anything installs.
 */
const TOOL_COLUMNS: readonly TableColumn[] = [
  { label: 'Name' },
  { label: 'Source' },
  { label: 'Publisher' },
  { label: 'Signature' },
  { label: 'sha256' },
  { label: 'Can ask for' },
  { label: 'Host functions' },
  { label: 'Actions', className: 'actions', hidden: true },
];

export function ToolsPanel() {
  const installed = useKernelStore((state) => state.toolPackages.installed);
  const staging = useKernelStore((state) => state.toolPackages.staging);
  const stageError = useKernelStore((state) => state.toolPackages.stageError);
  const refresh = useKernelStore((state) => state.refreshInstalledTools);
  const stage = useKernelStore((state) => state.stageToolPackage);
  const input = useRef<HTMLInputElement>(null);
  const { dropping, handlers } = useFileDrop((file) => void stage(file, DROP_ZONE_ID));
  useEffect(() => void refresh(), [refresh]);
  const count = installed?.filter((tool) => tool.source === 'installed').length ?? 0;
  const rows = useMemo(() => [...(installed ?? [])].sort(bySourceThenName), [installed]);

  return (
    <TablePanel
      titleId="tools-title"
      title="Tools"
      className={dropping ? 'tools drop-zone dropping' : 'tools drop-zone'}
      sectionProps={{ id: DROP_ZONE_ID, tabIndex: -1, ...handlers }}
      head={
        <>
          <span className="muted hint">
            {installed?.length ?? 0} available, {count} installed
          </span>
          <span className="tools-install">
            {staging ? <span className="muted">Checking {staging}…</span> : <span className="muted">Drop a .tar.gz, .tgz or .zip here, or</span>}
            <button id={PICKER_ID} type="button" disabled={staging !== null} onClick={() => input.current?.click()}>
              Install a tool…
            </button>
          </span>
        </>
      }
      beforeTable={
        <>
          <input
            ref={input}
            type="file"
            accept=".tar.gz,.tgz,.zip"
            aria-label="Tool package to install"
            className="visually-hidden"
            tabIndex={-1}
            onChange={(event) => {
              const file = event.target.files?.[0];
              event.target.value = '';
              if (file) void stage(file, PICKER_ID);
            }}
          />
          {stageError ? (
            <p role="alert" className="tools-error">
              {stageError}
            </p>
          ) : null}
        </>
      }
      columns={TOOL_COLUMNS}
      footer={
        <p className="muted tools-note">
          A browser cannot send a folder: a tool folder installs with <code>amk tools install DIR</code> on the kernel machine.
        </p>
      }
    >
      {rows.map((tool) => (
        <ToolRow key={tool.name} tool={tool} />
      ))}
    </TablePanel>
  );
}
