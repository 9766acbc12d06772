import { useId } from 'react';
import type { AgentManifest } from '../../../src-shared/index.js';
import { useKernelStore } from '../../store/kernel-store.js';
import { selectAgents } from '../../store/selectors.js';
import { startAgentDrag } from '../common/agent-drag.js';
import { CapabilityList } from './capability-list.js';
import { AgentIcon } from '../common/agent-icon.js';

function AgentCard({ agent }: { agent: AgentManifest }) {
  const titleId = useId();
  const openInstall = useKernelStore((state) => state.openInstall);
  return (
    <li className="agent-card" aria-labelledby={titleId} draggable onDragStart={(event) => startAgentDrag(event, agent.id)}>
      <div className="agent-card-head">
        <span className="icon icon-large" aria-hidden="true">
          <AgentIcon icon={agent.icon} size={28} />
        </span>
        <div>
          <h3 id={titleId}>{agent.name}</h3>
          <p className="meta">
            {agent.kind}
            {agent.trigger ? ` · on ${agent.trigger.source}` : ''} · policy {agent.policy}
          </p>
        </div>
      </div>
      <p className="agent-description">{agent.description}</p>
      <dl className="agent-facts">
        <div>
          <dt>Tools</dt>
          <dd>{agent.tools.length > 0 ? agent.tools.map((tool) => <code key={tool}>{tool}</code>) : <span className="muted">none</span>}</dd>
        </div>
        <div>
          <dt>Asks for</dt>
          <dd>
            <CapabilityList capabilities={agent.capabilities} />
          </dd>
        </div>
      </dl>
      <div className="agent-card-actions">
        <button type="button" className="primary" aria-label={`Install ${agent.name}`} onClick={() => openInstall(agent.id)}>
          Install…
        </button>
      </div>
    </li>
  );
}

/** Every agent the kernel's gallery offers. Drag a card onto the Task Manager tab, or press Install. */
export function GalleryView() {
  const agents = useKernelStore(selectAgents);
  return (
    <section className="panel gallery-view" aria-labelledby="gallery-title">
      <div className="panel-head">
        <h2 id="gallery-title">Gallery</h2>
        <span className="muted hint">Drag a card onto the Task Manager tab, or press Install</span>
      </div>
      {agents.length === 0 ? (
        <p className="empty">The gallery is empty.</p>
      ) : (
        <ul className="agent-grid" aria-label="Gallery agents">
          {agents.map((agent) => (
            <AgentCard key={agent.id} agent={agent} />
          ))}
        </ul>
      )}
    </section>
  );
}
