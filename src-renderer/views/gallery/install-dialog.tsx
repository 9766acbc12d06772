import { useEffect, useId, useState, type FormEvent } from 'react';
import type { AgentManifest, GrantScope, PriorityClass as PriorityClassName } from '../../../src-shared/index.js';
import { GrantScope as GrantScopeSchema, PriorityClass, defaultPriorityClass } from '../../../src-shared/index.js';
import { useKernelStore } from '../../store/kernel-store.js';
import { selectAgent, selectInstalling } from '../../store/selectors.js';
import { ModalDialog } from '../common/modal-dialog.js';
import { describeCapability, isLowRisk, startLabel } from './capability-list.js';
import { AgentIcon } from '../common/agent-icon.js';

const SCOPE_LABEL: Record<GrantScope, string> = { once: 'Once', session: 'This session', always: 'Always' };

interface Approval {
  granted: boolean;
  scope: GrantScope;
}

function CapabilityApproval({
  capability,
  approval,
  onChange,
}: {
  capability: string;
  approval: Approval;
  onChange: (approval: Approval) => void;
}) {
  const id = useId();
  return (
    <li className="approval">
      <label className="check" htmlFor={id}>
        <input id={id} type="checkbox" checked={approval.granted} onChange={(event) => onChange({ ...approval, granted: event.target.checked })} />
        <span>
          <code>{capability}</code> <span className="muted">{describeCapability(capability)}</span>
        </span>
      </label>
      <select
        aria-label={`Scope of ${capability}`}
        value={approval.scope}
        disabled={!approval.granted}
        onChange={(event) => onChange({ ...approval, scope: GrantScopeSchema.parse(event.target.value) })}
      >
        {GrantScopeSchema.options.map((scope) => (
          <option key={scope} value={scope}>
            {SCOPE_LABEL[scope]}
          </option>
        ))}
      </select>
    </li>
  );
}

/** The agent's tools the kernel cannot run: spawning it would be refused until they are installed. */
function useMissingTools(agent: AgentManifest): readonly string[] {
  const refresh = useKernelStore((state) => state.refreshInstalledTools);
  const installed = useKernelStore((state) => state.toolPackages.installed);
  // Until tools.installed answers, the snapshot's tools.list says the same for built-in ones.
  const loaded = useKernelStore((state) => state.tools);
  useEffect(() => void refresh(), [refresh]);
  const names = new Set((installed ?? loaded).map((tool) => tool.name));
  return agent.tools.filter((tool) => !names.has(tool));
}

function InstallForm({ agent }: { agent: AgentManifest }) {
  const close = useKernelStore((state) => state.openInstall);
  const addGrants = useKernelStore((state) => state.addGrants);
  const spawn = useKernelStore((state) => state.spawn);
  const showView = useKernelStore((state) => state.showView);
  const [task, setTask] = useState('');
  const [priorityClass, setPriorityClass] = useState<PriorityClassName>(agent.priority?.class ?? defaultPriorityClass(agent.kind));
  const [approvals, setApprovals] = useState<Record<string, Approval>>(() =>
    // Nothing is allowed by default: only what touches nothing of the user's (the clock) is pre-ticked.
    Object.fromEntries(agent.capabilities.map((capability) => [capability, { granted: isLowRisk(capability), scope: 'session' as const }])),
  );
  const [starting, setStarting] = useState(false);
  const descriptionId = useId();
  const interactive = agent.kind === 'interactive';
  const missingTools = useMissingTools(agent);
  const missingId = useId();

  const submit = async (event: FormEvent<HTMLFormElement>): Promise<void> => {
    event.preventDefault();
    const trimmed = task.trim();
    if (trimmed === '') return;
    setStarting(true);
    const approved = Object.entries(approvals)
      .filter(([, approval]) => approval.granted)
      .map(([capability, approval]) => ({ capability, scope: approval.scope }));
    const granted = await addGrants(agent.id, approved);
    const started = granted ? await spawn(agent.id, trimmed, { priorityClass, ...(interactive ? { session: true } : {}) }) : null;
    setStarting(false);
    if (started) {
      close(null);
      showView('task-manager');
    }
  };

  return (
    <ModalDialog
      title={
        <>
          <span className="icon" aria-hidden="true">
            <AgentIcon icon={agent.icon} />
          </span>{' '}
          Install {agent.name}
        </>
      }
      onCancel={() => close(null)}
      className="install-dialog"
      describedBy={descriptionId}
    >
      <form className="dialog-body" onSubmit={(event) => void submit(event)}>
        <p id={descriptionId}>{agent.description}</p>
        <p className="meta">
          {agent.kind} · tools: {agent.tools.length > 0 ? agent.tools.join(', ') : 'none'} · policy {agent.policy}
        </p>
        {missingTools.length > 0 ? (
          <div id={missingId} role="alert" className="missing-tools">
            <p>
              {agent.name} needs {missingTools.length === 1 ? 'a tool that is' : 'tools that are'} not installed:{' '}
              {missingTools.map((tool, index) => (
                <span key={tool}>
                  {index > 0 ? ', ' : null}
                  <code>{tool}</code>
                </span>
              ))}
              .
            </p>
            <p>It cannot run until {missingTools.length === 1 ? 'it is' : 'they are'} installed (Sandbox → Tools, or <code>amk tools install</code>).</p>
          </div>
        ) : null}
        <fieldset className="approvals">
          <legend>Requested capabilities</legend>
          {agent.capabilities.length === 0 ? (
            <p className="muted">None: it asks for nothing up front. Anything it needs later is asked for when it needs it.</p>
          ) : (
            <>
              <p className="muted">
                Nothing is allowed until you tick it. Ticked ones are granted to {agent.name} now; the rest are asked for, one by one, when it needs them.
              </p>
              <ul>
                {agent.capabilities.map((capability) => (
                  <CapabilityApproval
                    key={capability}
                    capability={capability}
                    approval={approvals[capability]!}
                    onChange={(approval) => setApprovals((current) => ({ ...current, [capability]: approval }))}
                  />
                ))}
              </ul>
            </>
          )}
        </fieldset>
        <label className="field">
          <span>Task</span>
          <textarea data-autofocus required rows={3} value={task} placeholder="What should it do?" onChange={(event) => setTask(event.target.value)} />
        </label>
        <div className="field-row">
          <label className="field">
            <span>Priority class</span>
            <select value={priorityClass} onChange={(event) => setPriorityClass(PriorityClass.parse(event.target.value))}>
              {PriorityClass.options.map((name) => (
                <option key={name} value={name}>
                  {name}
                </option>
              ))}
            </select>
          </label>
          {interactive ? <p className="muted">Interactive: after each answer it waits for your next message in its console.</p> : null}
        </div>
        <div className="dialog-actions">
          <button type="button" className="quiet" onClick={() => close(null)}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={starting || task.trim() === '' || missingTools.length > 0} aria-describedby={missingTools.length > 0 ? missingId : undefined}>
            {starting ? 'Starting…' : startLabel(agent.capabilities.length, Object.values(approvals).filter((approval) => approval.granted).length)}
          </button>
        </div>
      </form>
    </ModalDialog>
  );
}

/** Opened by dropping a gallery card on the table or pressing its Install button. */
export function InstallDialog() {
  const agentId = useKernelStore(selectInstalling);
  const agent = useKernelStore(selectAgent(agentId));
  if (!agent) return null;
  return <InstallForm key={agent.id} agent={agent} />;
}
