import { useId } from 'react';
import type { GrantDecision, GrantRequest, ParsedCapability } from '../../../src-shared/index.js';
import { parseCapability } from '../../../src-shared/index.js';
import { useKernelStore } from '../../store/kernel-store.js';
import { selectCurrentRequest, selectWaitingRequestCount } from '../../store/sandbox.selectors.js';
import { useClock } from '../common/use-clock.js';
import { ModalDialog } from '../common/modal-dialog.js';

/** Exactly what the capability reaches, field by field. */
function accessFacts(parsed: ParsedCapability | string): [string, string][] {
  if (typeof parsed === 'string') return [['Capability', parsed]];
  switch (parsed.kind) {
    case 'net':
      return [
        ['Access', 'network'],
        ['Host', parsed.host],
        ['Port', parsed.port === null ? 'any' : String(parsed.port)],
      ];
    case 'fs':
      return [
        ['Access', parsed.mode === 'read' ? 'read files' : 'write files'],
        ['Path', parsed.path],
      ];
    case 'clock':
      return [['Access', 'the clock']];
    case 'env':
      return [
        ['Access', 'environment variable'],
        ['Name', parsed.key],
      ];
    case 'mcp':
      return [
        ['Access', 'MCP tool'],
        ['Server', parsed.server],
        ['Tool', parsed.tool],
      ];
    case 'proc':
      return [
        ['Access', "another process's results and transcript"],
        [parsed.pid !== null ? 'Process' : 'Agent', parsed.pid !== null ? String(parsed.pid) : (parsed.agent ?? '')],
      ];
    case 'mcp-server':
      return [
        ['Access', 'run a native command outside the Wasm sandbox, with your rights (register an MCP server)'],
        ['Server', parsed.name],
      ];
    default:
      return [['Access', (parsed as { kind: string }).kind]];
  }
}

function Countdown({ request }: { request: GrantRequest }) {
  const now = useClock();
  const total = Math.max(1, request.expiresAt - request.requestedAt);
  // Kernel and page clocks can differ by a little: never show more than the whole wait.
  const left = Math.min(total, Math.max(0, request.expiresAt - now));
  const seconds = Math.ceil(left / 1000);
  return (
    <div className="countdown">
      <span role="timer" aria-live="off" aria-label="Time left before the default deny">
        Denied automatically in {seconds} s
      </span>
      <span className="bar" aria-hidden="true">
        <span className="bar-fill bar-mid" style={{ width: `${((left / total) * 100).toFixed(1)}%` }} />
      </span>
    </div>
  );
}

const DECISIONS: readonly { decision: GrantDecision; label: string; className: string }[] = [
  { decision: 'allow-once', label: 'Allow once', className: '' },
  { decision: 'allow-session', label: 'Allow for this session', className: '' },
  { decision: 'allow-always', label: 'Allow always', className: '' },
  { decision: 'deny', label: 'Deny', className: 'danger' },
  // Standing denies: the agent is refused at once next time, until the deny is revoked in Sandbox → Grants.
  { decision: 'deny-session', label: 'Deny for this session', className: 'danger' },
  { decision: 'deny-always', label: 'Never', className: 'danger' },
];

function RequestDialog({ request, waiting }: { request: GrantRequest; waiting: number }) {
  const decide = useKernelStore((state) => state.decideGrant);
  const summaryId = useId();
  const answer = (decision: GrantDecision): void => void decide(request.id, decision);
  const facts = accessFacts(parseCapability(request.capability));

  return (
    <ModalDialog
      role="alertdialog"
      title={`${request.agentName} asks for access`}
      closeLabel="Close and deny"
      onCancel={() => answer('deny')}
      className={`grant-dialog risk-${request.risk}`}
      describedBy={summaryId}
    >
      <div className="dialog-body">
        <p id={summaryId} className="grant-summary">
          <strong>{request.agentName}</strong> wants to <strong>{request.summary}</strong> with the tool <code>{request.tool}</code>.
        </p>
        <dl className="grant-facts">
          <div>
            <dt>Agent</dt>
            <dd>
              {request.agentName} <span className="muted">({request.agentId}, pid {request.pid})</span>
            </dd>
          </div>
          <div>
            <dt>Tool</dt>
            <dd>
              <code>{request.tool}</code>
            </dd>
          </div>
          <div>
            <dt>Capability</dt>
            <dd>
              <code>{request.capability}</code>
            </dd>
          </div>
          {facts.map(([term, value]) => (
            <div key={term}>
              <dt>{term}</dt>
              <dd>{value}</dd>
            </div>
          ))}
          <div>
            <dt>Risk</dt>
            <dd>
              <span className={`risk risk-badge-${request.risk}`}>{request.risk}</span>
            </dd>
          </div>
          {request.count > 1 ? (
            <div>
              <dt>Asked</dt>
              <dd>
                <span className="count-badge">×{request.count}</span> identical requests wait on this answer
              </dd>
            </div>
          ) : null}
        </dl>
        <div className="grant-args">
          <h3>Arguments of the call</h3>
          <pre tabIndex={0} aria-label="Arguments of the call">
            {request.args}
          </pre>
        </div>
        <Countdown request={request} />
        <div className="dialog-actions grant-actions">
          {waiting > 1 ? <span className="muted queue">{waiting - 1} more waiting</span> : null}
          {DECISIONS.map(({ decision, label, className }) => (
            <button key={decision} type="button" className={className || undefined} data-autofocus={decision === 'deny' ? true : undefined} onClick={() => answer(decision)}>
              {label}
            </button>
          ))}
        </div>
      </div>
    </ModalDialog>
  );
}

/**
 * The grant dialog: one request at a time, oldest first; identical asks arrive grouped (×N).
 * Closing it denies; doing nothing denies when the kernel's time runs out.
 */
export function GrantDialog() {
  const request = useKernelStore(selectCurrentRequest);
  const waiting = useKernelStore(selectWaitingRequestCount);
  if (!request) return null;
  return <RequestDialog key={request.id} request={request} waiting={waiting} />;
}
