import { vi } from 'vitest';
import type { KernelClient } from '../../src-shared/index.js';

/**
 * A kernel client whose calls `answer` serves (a fixture's list of tools, cores…), as the kernel
 * would; `refuse(method, error)` makes the next call of that method fail with the error.
 */
export function fakeKernelClient(answer: (method: string, params: Record<string, unknown>) => unknown) {
  const refusals = new Map<string, Error>();
  const call = vi.fn(async (method: string, params: Record<string, unknown>): Promise<unknown> => {
    const refusal = refusals.get(method);
    if (refusal) {
      refusals.delete(method);
      throw refusal;
    }
    return answer(method, params);
  });
  const client = { call, subscribe: () => () => {}, close: () => {} } as unknown as KernelClient;
  return { client, call, refuse: (method: string, error: Error) => refusals.set(method, error) };
}
