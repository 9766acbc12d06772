import type { ErrorCode, ErrorPayload } from '../../../src-shared/index.js';

/** The kernel's one error type: a stable code for programs, a message for people. */
export class KernelError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = 'KernelError';
  }

  toPayload(): ErrorPayload {
    return this.data === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, data: this.data };
  }
}

/** The funnel for anything thrown: known errors keep their code, the rest become INTERNAL. */
export function toErrorPayload(error: unknown): ErrorPayload {
  if (error instanceof KernelError) return error.toPayload();
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'INTERNAL', message };
}
