import type { KernelEvent, KernelEventOf } from '../../src-shared/index.js';
import type { SliceCreator } from './store-types.js';

/** Paged-out blocks kept per agent, and recalls kept in all. */
export const BLOCKS_PER_AGENT = 500;
export const RECALL_LIMIT = 200;

export interface PagedBlock {
  blockId: string;
  tokens: number;
  /** The kernel's one-line summary of the block's text. */
  summary: string;
  at: number;
  /** false when long-term memory was unavailable: only the journal has the block. */
  stored: boolean;
}

export type RecallRecord = Omit<KernelEventOf<'memory.paged-in'>, 'type'>;

/**
 * Long-term memory as the page saw it: the blocks each agent paged out and the recalls paged back
 * in, from the events since this page connected. Totals per agent come with its ProcessInfo.
 */
export interface MemoryState {
  pagedOut: Readonly<Record<number, readonly PagedBlock[]>>;
  recalls: readonly RecallRecord[];
}

export interface MemorySlice {
  memory: MemoryState;
}

export const emptyMemory: MemoryState = { pagedOut: {}, recalls: [] };

export function applyMemoryEvent(state: MemoryState, event: KernelEvent): MemoryState {
  switch (event.type) {
    case 'memory.paged-out': {
      const added = event.blocks.map((block) => ({ ...block, at: event.at, stored: event.stored }));
      const blocks = [...(state.pagedOut[event.pid] ?? []), ...added].slice(-BLOCKS_PER_AGENT);
      return { ...state, pagedOut: { ...state.pagedOut, [event.pid]: blocks } };
    }
    case 'memory.paged-in': {
      const { type: _type, ...record } = event;
      return { ...state, recalls: [...state.recalls, record].slice(-RECALL_LIMIT) };
    }
    default:
      return state;
  }
}

export const createMemorySlice: SliceCreator<MemorySlice> = () => ({
  memory: emptyMemory,
});
