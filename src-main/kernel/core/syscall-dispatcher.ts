import type { SyscallName, SyscallRequest, SyscallResponse, SyscallResult } from '../../../src-shared/index.js';
import { SyscallRequest as SyscallRequestSchema, describeIssues } from '../../../src-shared/index.js';
import type { EventBus } from './event-bus.js';
import { KernelError, toErrorPayload } from './kernel-error.js';

export type SyscallHandler<C extends SyscallName> = (
  pid: number,
  request: Extract<SyscallRequest, { call: C }>,
  signal: AbortSignal,
) => Promise<SyscallResult<C>>;

/**
 * Every agent action passes here: validated against the syscall contract, routed to the
 * subsystem that registered for it, timed, and recorded as a `syscall` event.
 */
export class SyscallDispatcher {
  private readonly handlers = new Map<SyscallName, SyscallHandler<SyscallName>>();

  constructor(
    private readonly bus: EventBus,
    /** Sees every dispatched syscall: the audit log. */
    private readonly observe: (pid: number, call: string, raw: unknown, response: SyscallResponse, durationMs: number) => void = () => {},
  ) {}

  register<C extends SyscallName>(call: C, handler: SyscallHandler<C>): void {
    if (this.handlers.has(call)) throw new Error(`syscall ${call} already has a handler`);
    this.handlers.set(call, handler as unknown as SyscallHandler<SyscallName>);
  }

  async dispatch(pid: number, raw: unknown, signal: AbortSignal): Promise<SyscallResponse> {
    const started = performance.now();
    const call = typeof raw === 'object' && raw !== null && 'call' in raw ? String(raw.call) : '(none)';
    let response: SyscallResponse;
    try {
      const parsed = SyscallRequestSchema.safeParse(raw);
      if (!parsed.success) throw new KernelError('INVALID_REQUEST', describeIssues(parsed.error, `syscall ${call}`));
      const handler = this.handlers.get(parsed.data.call);
      if (!handler) throw new KernelError('INVALID_REQUEST', `no subsystem handles syscall ${parsed.data.call}`);
      response = { ok: true, value: await handler(pid, parsed.data, signal) };
    } catch (error) {
      response = { ok: false, error: toErrorPayload(error) };
    }
    const durationMs = performance.now() - started;
    this.observe(pid, call, raw, response, durationMs);
    this.bus.emit({
      type: 'syscall',
      pid,
      call,
      ok: response.ok,
      durationMs,
      ...(response.ok ? {} : { errorCode: response.error.code }),
    });
    return response;
  }
}
