import type { DragEvent } from 'react';

/** The drag payload of a gallery card: the agent's id under a type only this app uses. */
export const AGENT_DRAG_TYPE = 'application/x-amk-agent';

export function startAgentDrag(event: DragEvent, agentId: string): void {
  event.dataTransfer.setData(AGENT_DRAG_TYPE, agentId);
  event.dataTransfer.setData('text/plain', agentId);
  event.dataTransfer.effectAllowed = 'copy';
}

export function isAgentDrag(event: DragEvent): boolean {
  return event.dataTransfer.types.includes(AGENT_DRAG_TYPE);
}

/** The dragged agent's id, on drop. */
export function droppedAgent(event: DragEvent): string | null {
  const id = event.dataTransfer.getData(AGENT_DRAG_TYPE);
  return id === '' ? null : id;
}
