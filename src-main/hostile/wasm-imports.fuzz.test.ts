import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ToolManifest } from '../../src-shared/index.js';
import { verifyPlugin } from '../kernel/sandbox/index.js';
import { HOST_FUNCTION_NAMES } from '../kernel/sandbox/host-functions.js';
import { WASI_FUNCTIONS, WASI_MODULE } from '../kernel/sandbox/wasi-subset.js';
import { packageRoot } from '../settings.js';
import { fuzzParameters } from './fuzz-settings.js';

const TOOLS = join(packageRoot(), 'dist', 'wasm-tools', 'tools');
const VALID = new Uint8Array(readFileSync(join(TOOLS, 'http_get.wasm')));
const MANIFEST = (JSON.parse(readFileSync(join(TOOLS, 'catalog.json'), 'utf8')) as { tools: ToolManifest[] }).tools.find((tool) => tool.name === 'http_get')!;

/** The kernel's verdict on these bytes, pinned as they are (so the parse, not the hash, decides). */
function verdict(bytes: Uint8Array): string | null {
  const manifest = { ...MANIFEST, sha256: createHash('sha256').update(bytes).digest('hex') };
  const problem = verifyPlugin(manifest, bytes);
  if (problem !== null) expect(typeof problem).toBe('string');
  return problem;
}

interface ImportDescriptor {
  module: string;
  name: string;
  kind: string;
}
// Node's types leave WebAssembly out (it is in the DOM lib); this is the part used here.
const Wasm = (globalThis as unknown as { WebAssembly: { Module: { new (bytes: Uint8Array): object; imports(module: object): ImportDescriptor[] } } }).WebAssembly;

/** What V8 says the module imports, when it compiles at all. */
function compiledImports(bytes: Uint8Array): ImportDescriptor[] | null {
  try {
    return Wasm.Module.imports(new Wasm.Module(bytes));
  } catch {
    return null;
  }
}

// Half the edits land in the first 512 bytes, where the type and import sections are.
const SPOT = fc.oneof(fc.nat(Math.min(511, VALID.length - 1)), fc.nat(VALID.length - 1));

const provided = (entry: ImportDescriptor): boolean =>
  entry.kind === 'function' &&
  (entry.module === 'extism:host/env'
    ? !/^http_/.test(entry.name)
    : (entry.module === 'extism:host/user' && HOST_FUNCTION_NAMES.includes(entry.name)) || (entry.module === WASI_MODULE && WASI_FUNCTIONS.includes(entry.name)));

describe('fuzzing the Wasm import check', () => {
  it('arbitrary bytes after the Wasm header are accepted or refused with a reason, never a throw', () => {
    const header = VALID.subarray(0, 8);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (tail) => {
        verdict(new Uint8Array([...header, ...tail]));
      }),
      fuzzParameters(500),
    );
  });

  it('a mutated tool is refused, or every import V8 sees in it is one the kernel provides', () => {
    expect(verdict(VALID)).toBeNull();
    fc.assert(
      fc.property(fc.array(fc.tuple(SPOT, fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), (edits) => {
        const bytes = VALID.slice();
        for (const [at, value] of edits) bytes[at] = value;
        if (verdict(bytes) !== null) return;
        const imports = compiledImports(bytes);
        if (imports) expect(imports.filter((entry) => !provided(entry))).toEqual([]);
      }),
      fuzzParameters(300),
    );
  });
});
