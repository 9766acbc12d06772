import type { KernelHandlerResult } from '../../../src-shared/index.js';
import type { ApiRegistry } from '../core/api-registry.js';
import { KernelError } from '../core/kernel-error.js';
import type { SyscallDispatcher } from '../core/syscall-dispatcher.js';
import type { MemoryManager } from './memory-manager.js';

export interface MemoryAccess {
  /** The loaded model's memory manager; throws when no model is loaded. */
  memory(): MemoryManager;
  /** The agent id of a process. */
  agentOf(pid: number): string;
  /** Whether agent `reader` holds a grant to read `owner`'s memory (`memory:OWNER`). */
  mayRead(reader: string, owner: string): boolean;
}

function available(manager: () => MemoryManager): MemoryManager {
  const memory = manager();
  if (!memory.status.available) throw new KernelError('MEMORY_UNAVAILABLE', `long-term memory is unavailable: ${memory.status.reason}`);
  return memory;
}

/** An agent's paged-out blocks, newest last, or the best matches for a query (the UI's memory search). */
export async function memoryBlocks(manager: () => MemoryManager, agentId: string, query: string | undefined, limit: number): Promise<KernelHandlerResult<'memory.blocks'>> {
  const memory = available(manager);
  const blocks = query ? await memory.search([agentId], query, limit) : (await memory.list(agentId)).slice(-limit);
  return blocks.map((b) => ({ blockId: b.blockId, role: b.role, text: b.text, summary: b.summary, tokens: b.tokens, pagedAt: b.pagedAt, score: 'score' in b ? (b.score as number) : null }));
}

/** `memory.search`, the agents' hybrid search: their own memory, or another's with a grant. */
export function registerMemorySyscalls(dispatcher: SyscallDispatcher, access: MemoryAccess): void {
  dispatcher.register('memory.search', async (pid, request) => {
    const own = access.agentOf(pid);
    const agent = request.agent ?? own;
    if (agent !== own && !access.mayRead(own, agent)) {
      throw new KernelError('CAPABILITY_DENIED', `${own} may not read ${agent}'s memory: that needs a memory:${agent} grant`);
    }
    const found = await available(access.memory).search([agent], request.query, request.k);
    return { results: found.map((b) => ({ blockId: b.blockId, agent: b.agentId, role: b.role, text: b.text, score: b.score, pagedAt: b.pagedAt })) };
  });
}

export function registerMemoryApi(registry: ApiRegistry, access: MemoryAccess): void {
  registry.register({
    'memory.blocks': (params) => memoryBlocks(access.memory, params.agentId, params.query, params.limit),
  });
}
