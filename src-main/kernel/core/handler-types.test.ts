import { describe, expect, it } from 'vitest';
import type { KernelHandler, SyscallResult } from '../../../src-shared/index.js';
import { ApiRegistry } from './api-registry.js';
import type { SyscallHandler } from './syscall-dispatcher.js';

// Type-level tests: the handlers' types come from the zod contracts, so a handler that returns the
// wrong shape must not compile. `tsc -p tsconfig.node.json` fails if an @ts-expect-error is unused.
describe('handler types derived from the contracts', () => {
  it('refuses an API handler that returns the wrong shape', () => {
    const right: KernelHandler<'proc.snapshot'> = (params) => ({ pid: params.pid, path: '/x', bytes: 1, tokens: 2 });
    // @ts-expect-error `bytes` must be a number
    const wrong: KernelHandler<'proc.snapshot'> = (params) => ({ pid: params.pid, path: '/x', bytes: '1', tokens: 2 });
    // @ts-expect-error params of proc.snapshot have no `file`
    const wrongParams: KernelHandler<'proc.snapshot'> = (params) => ({ pid: params.file, path: '/x', bytes: 1, tokens: 2 });
    const registry = new ApiRegistry();
    registry.register({ 'proc.snapshot': right });
    // @ts-expect-error grants.revoke answers { ok: true }
    registry.register({ 'grants.revoke': () => ({ ok: false }) });
    // @ts-expect-error no such method
    registry.register({ 'proc.explode': () => ({ ok: true }) });
    expect([wrong, wrongParams]).toHaveLength(2);
    expect(registry.missing(['proc.snapshot', 'grants.revoke', 'events.subscribe'])).toEqual([]);
    expect(registry.missing(['proc.kill'])).toEqual(['proc.kill']);
  });

  it('refuses a syscall handler that returns the wrong shape', () => {
    const right: SyscallHandler<'memory.pin'> = (_pid, request) => Promise.resolve({ pinned: request.text.length });
    // @ts-expect-error memory.pin answers { pinned: number }
    const wrong: SyscallHandler<'memory.pin'> = (_pid, request) => Promise.resolve({ pinned: request.text });
    const exit: SyscallResult<'proc.exit'> = { exited: true };
    expect([right, wrong, exit]).toHaveLength(3);
  });

  it('refuses a second handler for one method', () => {
    const registry = new ApiRegistry();
    registry.register({ 'grants.revoke': () => ({ ok: true }) });
    expect(() => registry.register({ 'grants.revoke': () => ({ ok: true }) })).toThrow(/already has a handler/);
  });
});
