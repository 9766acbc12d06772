import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ToolManifest } from '../../../src-shared/index.js';
import { ToolManifest as ToolManifestSchema, describeIssues } from '../../../src-shared/index.js';
import { HOST_FUNCTION_NAMES } from './host-functions.js';
import { declaredImports, declaredMemories } from './wasm-memory.js';
import { WASI_FUNCTIONS, WASI_MODULE } from './wasi-subset.js';

/**
 * What a plugin may import: the Extism runtime's memory and I/O functions (not its HTTP ones:
 * there is no way out but the kernel's), the kernel's host functions, and the WASI subset that
 * other languages' runtimes need (wasi-subset.ts: no files, environment or sockets). Nothing else
 * is provided, so anything else (the rest of WASI, `env`) would only fail later, inside a worker.
 */
const EXTISM_ENV = new Set([
  'alloc', 'free', 'length', 'length_unsafe', 'load_u8', 'load_u64', 'store_u8', 'store_u64',
  'input_offset', 'input_length', 'input_load_u8', 'input_load_u64', 'output_set', 'error_set', 'error_get',
  'config_get', 'var_get', 'var_set', 'log_warn', 'log_info', 'log_debug', 'log_error', 'log_trace', 'get_log_level',
]);
const PROVIDED: Record<string, ReadonlySet<string>> = {
  'extism:host/env': EXTISM_ENV,
  'extism:host/user': new Set(HOST_FUNCTION_NAMES),
  [WASI_MODULE]: new Set(WASI_FUNCTIONS),
};

function importProblem(bytes: Uint8Array): string | null {
  const imports = declaredImports(bytes);
  for (const entry of imports) {
    const what = `"${entry.module}" "${entry.name}"`;
    if (entry.module.startsWith('wasi') && !PROVIDED[entry.module]?.has(entry.name)) {
      // Name every WASI function outside the subset, so a tool's author sees all there is to remove.
      const others = [...new Set(imports.filter((other) => other.module.startsWith('wasi') && other.name !== entry.name && !PROVIDED[other.module]?.has(other.name)).map((other) => other.name))];
      const also = others.length === 0 ? '' : `; also outside it: ${others.slice(0, 12).join(', ')}${others.length > 12 ? ', …' : ''}`;
      return `it imports ${what} from WASI, outside the subset the sandbox provides (no files, environment or sockets)${also}`;
    }
    if (entry.kind !== 'function') return `it imports a ${entry.kind} (${what}); only functions are provided`;
    if (!PROVIDED[entry.module]?.has(entry.name)) return `it imports ${what}, which the sandbox does not provide`;
  }
  return null;
}

export interface VerifiedPlugin {
  manifest: ToolManifest;
  bytes: Uint8Array;
}

export interface CatalogLoad {
  plugins: VerifiedPlugin[];
  /** Plugins refused, each with the reason; the others load. */
  refused: { tool: string; reason: string }[];
}

/** Checks one plugin before it may run: its bytes match the pinned hash, and its memory is bounded within its limit. */
export function verifyPlugin(manifest: ToolManifest, bytes: Uint8Array): string | null {
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (!manifest.sha256) return 'no pinned sha256 in its manifest';
  if (actual !== manifest.sha256) return `its bytes do not match the pinned sha256 (expected ${manifest.sha256.slice(0, 12)}…, got ${actual.slice(0, 12)}…)`;
  let memories;
  try {
    memories = declaredMemories(bytes);
  } catch (error) {
    return `not a valid WebAssembly module: ${(error as Error).message}`;
  }
  let imports;
  try {
    imports = importProblem(bytes);
  } catch (error) {
    return `not a valid WebAssembly module: ${(error as Error).message}`;
  }
  if (imports) return imports;
  for (const memory of memories) {
    if (memory.maximumPages === null) return 'its memory declares no maximum, so the kernel could not bound it';
    if (memory.maximumPages > manifest.limits.memoryPages) {
      return `its memory may grow to ${memory.maximumPages} pages, over its limit of ${manifest.limits.memoryPages}`;
    }
  }
  return null;
}

/** Loads `catalog.json` and the plugins beside it; the bytes kept are the ones verified. */
export function loadCatalog(directory: string): CatalogLoad {
  const result: CatalogLoad = { plugins: [], refused: [] };
  const path = join(directory, 'catalog.json');
  if (!existsSync(path)) {
    result.refused.push({ tool: '*', reason: `no plugin catalog at ${path}: run \`npm run build:wasm\`` });
    return result;
  }
  let entries: unknown[];
  try {
    entries = (JSON.parse(readFileSync(path, 'utf8')) as { tools: unknown[] }).tools;
  } catch (error) {
    result.refused.push({ tool: '*', reason: `${path} is not valid JSON: ${(error as Error).message}` });
    return result;
  }
  for (const entry of entries) {
    const parsed = ToolManifestSchema.safeParse(entry);
    const name = (entry as { name?: string }).name ?? '(unnamed)';
    if (!parsed.success) {
      result.refused.push({ tool: name, reason: describeIssues(parsed.error, 'tool manifest') });
      continue;
    }
    const manifest = parsed.data;
    const file = join(directory, manifest.file ?? `${manifest.name}.wasm`);
    if (!existsSync(file)) {
      result.refused.push({ tool: manifest.name, reason: `plugin file ${file} is missing` });
      continue;
    }
    const bytes = new Uint8Array(readFileSync(file));
    const problem = verifyPlugin(manifest, bytes);
    if (problem) result.refused.push({ tool: manifest.name, reason: `refused: ${problem}` });
    else result.plugins.push({ manifest, bytes });
  }
  return result;
}
