import type { KernelHandler, KernelMethod } from '../../../src-shared/index.js';

/** Connection-scoped methods (the event stream, approver attachment) are the transport's. */
export const CONNECTION_METHODS = ['events.subscribe', 'grants.attach'] as const;

/** The methods a kernel subsystem answers. */
export type ApiMethod = Exclude<KernelMethod, (typeof CONNECTION_METHODS)[number]>;

/** Some methods' handlers, each typed from the contract: what one subsystem registers. */
export type ApiHandlers<M extends ApiMethod = ApiMethod> = { [K in M]: KernelHandler<K> };

/**
 * Where each subsystem registers the API methods it answers (`registerXApi(registry, …)`);
 * `handleKernelRequest` looks them up. A method is answered by one subsystem only.
 */
export class ApiRegistry {
  private readonly handlers = new Map<ApiMethod, (params: never) => unknown>();

  register(handlers: Partial<ApiHandlers>): void {
    for (const [method, handler] of Object.entries(handlers) as [ApiMethod, (params: never) => unknown][]) {
      if (this.handlers.has(method)) throw new Error(`API method ${method} already has a handler`);
      this.handlers.set(method, handler);
    }
  }

  /** The handler of `method`; the caller has validated the params against the contract. */
  handler(method: ApiMethod): ((params: unknown) => unknown) | undefined {
    return this.handlers.get(method) as ((params: unknown) => unknown) | undefined;
  }

  /** Methods of the contract no subsystem registered: the kernel refuses to start with any. */
  missing(all: readonly KernelMethod[]): KernelMethod[] {
    return all.filter((method) => !(CONNECTION_METHODS as readonly string[]).includes(method) && !this.handlers.has(method as ApiMethod));
  }
}
