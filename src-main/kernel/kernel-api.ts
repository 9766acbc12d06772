import { describeIssues, isKernelMethod, kernelApi } from '../../src-shared/index.js';
import { CONNECTION_METHODS, type ApiMethod, type ApiRegistry } from './core/api-registry.js';
import { KernelError } from './core/kernel-error.js';

export { CONNECTION_METHODS } from './core/api-registry.js';

/**
 * The one entry for API calls from any transport: the method must exist, the params must match
 * its schema, and the handler's result is checked against the contract before it leaves.
 */
export async function handleKernelRequest(kernel: { readonly api: ApiRegistry }, method: string, params: unknown): Promise<unknown> {
  if (!isKernelMethod(method) || (CONNECTION_METHODS as readonly string[]).includes(method)) {
    throw new KernelError('UNKNOWN_METHOD', `unknown method "${method}"`);
  }
  const contract = kernelApi[method];
  const parsed = contract.params.safeParse(params ?? {});
  if (!parsed.success) throw new KernelError('INVALID_REQUEST', describeIssues(parsed.error, `${method} params`));
  // Each subsystem registered its methods' handlers at boot (`registerXApi`); the kernel checked that all did.
  const handler = kernel.api.handler(method as ApiMethod);
  if (!handler) throw new KernelError('UNKNOWN_METHOD', `no subsystem answers "${method}"`);
  const result = await handler(parsed.data);
  return contract.result.parse(result);
}
