import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { PluginPool } from '../kernel/sandbox/plugin-pool.js';
import { GO_FIXTURES, goPackage } from '../test-support/go-tool-packages.js';
import { fuzzParameters } from './fuzz-settings.js';

// The WASI subset reads and writes the plugin's memory at pointers the plugin chooses. A Go fixture
// calls its functions with fuzzed pointers, lengths, counts and descriptors: every call answers
// an errno (out-of-bounds memory is EFAULT, never a kernel exception), and the plugin still runs.
const EBADF = 8;
const EFAULT = 21;
const EINVAL = 28;
const { manifest, bytes } = goPackage(join(GO_FIXTURES, 'go_snoop'));
const pool = new PluginPool(manifest, bytes);
afterAll(() => pool.dispose());
const scope = { pid: 1, agentId: 'fuzzer', tool: manifest.name, granted: [], deadline: Number.MAX_SAFE_INTEGER, maxBytes: 1024, protectedRoots: [], audit: () => {} };

/** A pointer: inside a zeroed 4 KiB scratch buffer (room left for what is written there), or far outside memory. */
const pointer = fc.oneof(
  fc.record({ scratch: fc.constant(true), value: fc.nat(3800) }),
  fc.record({ scratch: fc.constant(false), value: fc.oneof(fc.integer({ min: -(2 ** 31), max: -1 }), fc.integer({ min: 2 ** 25, max: 2 ** 31 - 1 })) }),
);
type Pointer = { scratch: boolean; value: number };
const plain = (value: number): Pointer => ({ scratch: false, value });
const fd = fc.integer({ min: -2, max: 5 }).map(plain);
const outside = (...pointers: Pointer[]) => pointers.some((p) => !p.scratch);

/** Each call, and the errno(s) the subset must answer for it. */
const call = fc.oneof(
  fc.tuple(fd, pointer, fc.oneof(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 2 ** 20, max: 2 ** 31 - 1 })).map(plain), pointer).map((args) => ({
    fn: 'fd_write',
    args,
    expect: ![1, 2].includes(args[0].value) ? [EBADF] : [0, EFAULT],
  })),
  fc.tuple(pointer, fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 2 ** 25, max: 2 ** 31 - 1 })).map(plain)).map((args) => ({
    fn: 'random_get',
    args,
    expect: outside(args[0]) || args[1].value > 64 ? [EFAULT] : [0],
  })),
  fc.tuple(fc.integer({ min: -1, max: 3 }).map(plain), fc.integer().map(plain), pointer).map((args) => ({
    fn: 'clock_time_get',
    args,
    expect: args[0].value !== 0 && args[0].value !== 1 ? [EINVAL] : outside(args[2]) ? [EFAULT] : [0],
  })),
  fc.tuple(pointer, pointer, fc.integer({ min: 0, max: 4 }).map(plain), pointer).map((args) => ({
    fn: 'poll_oneoff',
    args,
    expect: [0, EFAULT],
  })),
  fc.tuple(fd, pointer).map((args) => ({
    fn: 'fd_fdstat_get',
    args,
    expect: ![0, 1, 2].includes(args[0].value) ? [EBADF] : outside(args[1]) ? [EFAULT] : [0],
  })),
  fc.tuple(pointer, pointer).map((args) => ({ fn: 'environ_sizes_get', args, expect: outside(...args) ? [EFAULT] : [0] })),
);

describe('fuzzing the WASI subset with the plugin\'s own pointers', () => {
  it('answers every call with an errno, never an exception, and the plugin keeps answering', async () => {
    await fc.assert(
      fc.asyncProperty(call, async ({ fn, args, expect: allowed }) => {
        const raw = { fn, args: args.map((arg) => arg.value), scratch: args.map((arg) => arg.scratch) };
        const reply = JSON.parse(await pool.call(JSON.stringify({ mode: 'raw', raw }), scope)) as { ok: boolean; value: { errno: number } };
        expect(reply.ok).toBe(true);
        expect(allowed).toContain(reply.value.errno);
      }),
      fuzzParameters(60),
    );
    const after = JSON.parse(await pool.call(JSON.stringify({ mode: 'snoop' }), scope)) as { value: { environ: string[] } };
    expect(after.value.environ).toEqual([]);
  });

});
