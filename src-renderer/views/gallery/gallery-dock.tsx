import { useKernelStore } from '../../store/kernel-store.js';
import { selectAgents } from '../../store/selectors.js';
import { startAgentDrag } from '../common/agent-drag.js';
import { AgentIcon } from '../common/agent-icon.js';

/** The gallery beside the table: compact cards to drag onto it, each with an Install button. */
export function GalleryDock() {
  const agents = useKernelStore(selectAgents);
  const openInstall = useKernelStore((state) => state.openInstall);
  return (
    <section className="panel gallery-dock" aria-labelledby="gallery-dock-title">
      <div className="panel-head">
        <h2 id="gallery-dock-title">Gallery</h2>
        <span className="muted hint">drag onto the table</span>
      </div>
      {agents.length === 0 ? (
        <p className="empty">The gallery is empty.</p>
      ) : (
        <ul className="dock-list" aria-label="Gallery agents">
          {agents.map((agent) => (
            <li
              key={agent.id}
              className="dock-item"
              draggable
              aria-label={agent.name}
              title={agent.description}
              onDragStart={(event) => startAgentDrag(event, agent.id)}
            >
              <span className="icon" aria-hidden="true">
                <AgentIcon icon={agent.icon} size={24} />
              </span>
              <span className="dock-text">
                <span className="dock-name">{agent.name}</span>
                <span className="dock-meta">
                  {agent.kind}
                  {agent.capabilities.length > 0 ? (
                    <span className="cap-count" title={agent.capabilities.join(', ')}>
                      {' '}
                      · asks for {agent.capabilities.length === 1 ? agent.capabilities[0] : `${agent.capabilities.length} capabilities`}
                    </span>
                  ) : null}
                </span>
              </span>
              <button type="button" className="quiet" aria-label={`Install ${agent.name}`} onClick={() => openInstall(agent.id)}>
                Install…
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
