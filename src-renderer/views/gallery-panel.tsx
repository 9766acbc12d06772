import { useId, useState, type FormEvent } from 'react';
import type { AgentManifest } from '../../src-shared/index.js';
import { useKernelStore } from '../store/kernel-store.js';
import { selectAgents } from '../store/selectors.js';

function StartForm({ agent, onDone }: { agent: AgentManifest; onDone: () => void }) {
  const spawn = useKernelStore((state) => state.spawn);
  const [task, setTask] = useState('');
  const [starting, setStarting] = useState(false);

  const submit = async (event: FormEvent<HTMLFormElement>): Promise<void> => {
    event.preventDefault();
    const trimmed = task.trim();
    if (trimmed === '') return;
    setStarting(true);
    const started = await spawn(agent.id, trimmed);
    setStarting(false);
    if (started) onDone();
  };

  return (
    <form className="start-form" onSubmit={(event) => void submit(event)}>
      <input
        aria-label={`Task for ${agent.name}`}
        placeholder="What should it do?"
        autoFocus
        required
        value={task}
        onChange={(event) => setTask(event.target.value)}
        onKeyDown={(event) => {
          if (event.key === 'Escape') onDone();
        }}
      />
      <button type="submit" disabled={starting || task.trim() === ''}>
        {starting ? 'Starting…' : 'Run'}
      </button>
      <button type="button" className="quiet" onClick={onDone}>
        Cancel
      </button>
    </form>
  );
}

function AgentCard({ agent }: { agent: AgentManifest }) {
  const [asking, setAsking] = useState(false);
  const titleId = useId();
  return (
    <li className="agent-card" aria-labelledby={titleId}>
      <div className="agent-line">
        <span className="icon" aria-hidden="true">
          {agent.icon}
        </span>
        <div className="agent-text">
          <h3 id={titleId}>{agent.name}</h3>
          <p>{agent.description}</p>
          <p className="meta">
            {agent.kind}
            {agent.tools.length > 0 ? ` · tools: ${agent.tools.join(', ')}` : ''}
          </p>
        </div>
        {asking ? null : (
          <button type="button" aria-label={`Start ${agent.name}`} onClick={() => setAsking(true)}>
            Start
          </button>
        )}
      </div>
      {asking ? <StartForm agent={agent} onDone={() => setAsking(false)} /> : null}
    </li>
  );
}

export function GalleryPanel() {
  const agents = useKernelStore(selectAgents);
  return (
    <section className="panel gallery" aria-labelledby="gallery-title">
      <div className="panel-head">
        <h2 id="gallery-title">Gallery</h2>
      </div>
      {agents.length === 0 ? (
        <p className="empty">The gallery is empty.</p>
      ) : (
        <ul className="agent-list">
          {agents.map((agent) => (
            <AgentCard key={agent.id} agent={agent} />
          ))}
        </ul>
      )}
    </section>
  );
}
