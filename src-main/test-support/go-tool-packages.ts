import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ToolManifest } from '../../src-shared/index.js';
import { packageRoot } from '../settings.js';

/** Where `node wasm-tools/build.mjs` writes the Go template package and the Go test fixtures. */
export const GO_PACKAGES = join(packageRoot(), 'dist', 'wasm-tools', 'packages');
export const GO_FIXTURES = join(packageRoot(), 'dist', 'wasm-tools', 'fixtures-go');

/**
 * A Go-built package folder (tool.json + plugin.wasm). The global setup builds them only when `go`
 * is on PATH; without it the test fails here, in one line that says how to get it.
 */
export function goPackage(dir: string): { dir: string; manifest: ToolManifest; bytes: Uint8Array } {
  const wasm = join(dir, 'plugin.wasm');
  if (!existsSync(wasm)) {
    throw new Error(`${wasm} is not built: install Go 1.24+ (https://go.dev/dl/), put \`go\` on PATH, and run \`node wasm-tools/build.mjs\``);
  }
  const bytes = new Uint8Array(readFileSync(wasm));
  const manifest = {
    ...(JSON.parse(readFileSync(join(dir, 'tool.json'), 'utf8')) as Omit<ToolManifest, 'runtime'>),
    runtime: 'wasm',
    sha256: createHash('sha256').update(bytes).digest('hex'),
  } as ToolManifest;
  return { dir, manifest, bytes };
}

/** Writes a tool folder the kernel loads like its own (catalog.json pinning each plugin's sha256). */
export function catalogOf(packages: { dir: string; manifest: ToolManifest }[], target: string): string {
  const tools = packages.map(({ dir, manifest }) => {
    copyFileSync(join(dir, 'plugin.wasm'), join(target, `${manifest.name}.wasm`));
    return { ...manifest, file: `${manifest.name}.wasm` };
  });
  writeFileSync(join(target, 'catalog.json'), JSON.stringify({ tools }, null, 2));
  return target;
}
