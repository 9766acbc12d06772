import { z } from 'zod';
import type { BridgeReply } from '../../src-shared/index.js';
import { handleKernelRequest, KernelError, toErrorPayload, type Kernel } from '../kernel/index.js';
import { isInsideFolder } from './navigation-policy.js';

const BridgeRequestSchema = z.object({ method: z.string().min(1).max(100), params: z.unknown() }).strict();

/** Only the app's own pages may talk to the kernel: its packaged files, or the dev server it was told. */
export function isTrustedSender(senderUrl: string, appRoot: string, devServer?: string): boolean {
  let url: URL;
  try {
    url = new URL(senderUrl);
  } catch {
    return false;
  }
  if (devServer && url.origin === new URL(devServer).origin) return true;
  // Whole path segments, no encoded separators: `/opt/amk-evil` and `/opt/amk/..%2F..%2Fx` are not the app.
  return isInsideFolder(senderUrl, appRoot);
}

/**
 * The main-process side of `amk:invoke`: refuses untrusted senders and malformed payloads,
 * then runs the call through the same validated entry as every other transport.
 */
export async function handleBridgeRequest(kernel: Kernel | null, senderUrl: string, appRoot: string, payload: unknown): Promise<BridgeReply> {
  try {
    if (!isTrustedSender(senderUrl, appRoot)) throw new KernelError('FORBIDDEN_ORIGIN', `refused a call from ${senderUrl}: not one of the app's pages`);
    const parsed = BridgeRequestSchema.safeParse(payload);
    if (!parsed.success) throw new KernelError('INVALID_REQUEST', 'a bridge call is { method, params }');
    if (!kernel) throw new KernelError('MODEL_NOT_LOADED', 'the kernel is not running: it could not start (see the dialog), or has stopped');
    return { ok: true, result: await handleKernelRequest(kernel, parsed.data.method, parsed.data.params ?? {}) };
  } catch (error) {
    return { ok: false, error: toErrorPayload(error) };
  }
}
