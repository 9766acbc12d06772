#!/usr/bin/env node
// Builds a Go tool into an installable package folder: `tool.json` + `plugin.wasm`. The plugin is
// a WASI reactor from the standard Go toolchain (GOOS=wasip1 GOARCH=wasm, -buildmode=c-shared,
// `//go:wasmexport run`) whose memory is then given a maximum of the tool's `limits.memoryPages`
// (set-memory-max.mjs), since the kernel refuses an unbounded one.
//
//   node wasm-tools/sdk-go/build-go-tool.mjs TOOL_DIR OUT_DIR
//
// TOOL_DIR holds main.go and tool.json (its go.mod may be above it); OUT_DIR receives the package,
// ready for `amk tools sign OUT_DIR --key K.key` and `amk tools install OUT_DIR`.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setMemoryMaximum } from './set-memory-max.mjs';

/** The oldest Go whose toolchain has `//go:wasmexport` for wasip1 reactors. */
export const MINIMUM_GO = '1.24';
export const GO_MISSING = `the Go toolchain (go ${MINIMUM_GO} or later) is not on PATH: install it from https://go.dev/dl/ (or your package manager) to build the Go tool packages`;

/** `go version`'s answer, or null when there is no usable `go` on PATH. */
export function goVersion() {
  const result = spawnSync('go', ['version'], { encoding: 'utf8', env: { ...process.env, GOTOOLCHAIN: 'local' } });
  if (result.error || result.status !== 0) return null;
  const match = /go(\d+)\.(\d+)/.exec(result.stdout);
  if (!match || Number(match[1]) < 1 || (Number(match[1]) === 1 && Number(match[2]) < 24)) return null;
  return result.stdout.trim();
}

/** Builds TOOL_DIR's tool into OUT_DIR; answers the manifest written. Throws with go's own words on failure. */
export function buildGoTool(toolDir, outDir) {
  const manifest = JSON.parse(readFileSync(join(toolDir, 'tool.json'), 'utf8'));
  const pages = manifest.limits?.memoryPages;
  if (!Number.isSafeInteger(pages)) throw new Error(`${toolDir}/tool.json: limits.memoryPages is required (the module's memory maximum, in 64 KiB pages)`);
  const scratch = mkdtempSync(join(tmpdir(), 'amk-go-tool-'));
  try {
    const raw = join(scratch, 'plugin.wasm');
    const result = spawnSync('go', ['build', '-trimpath', '-buildvcs=false', '-ldflags=-s -w', '-buildmode=c-shared', '-o', raw, '.'], {
      cwd: toolDir,
      encoding: 'utf8',
      // The module cache stays where Go keeps it (GOMODCACHE), outside the repository.
      env: { ...process.env, GOOS: 'wasip1', GOARCH: 'wasm', CGO_ENABLED: '0', GOTOOLCHAIN: 'local' },
    });
    if (result.error) throw new Error(`${toolDir}: ${result.error.code === 'ENOENT' ? GO_MISSING : result.error.message}`);
    if (result.status !== 0) throw new Error(`${toolDir}: go build failed:\n${result.stderr}`);
    const bounded = setMemoryMaximum(readFileSync(raw), pages);
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, 'plugin.wasm'), bounded);
    writeFileSync(join(outDir, 'tool.json'), JSON.stringify(manifest, null, 2) + '\n');
    return manifest;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [toolDir, outDir] = process.argv.slice(2);
  if (!toolDir || !outDir) {
    console.error('usage: node build-go-tool.mjs TOOL_DIR OUT_DIR');
    process.exit(2);
  }
  if (!goVersion()) {
    console.error(GO_MISSING);
    process.exit(1);
  }
  const manifest = buildGoTool(resolve(toolDir), resolve(outDir));
  console.log(`built ${manifest.name} into ${outDir}`);
}
