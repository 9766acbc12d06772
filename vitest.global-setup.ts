import { execFileSync } from 'node:child_process';

/** The kernel's tools are Wasm plugins built from wasm-tools/: build them (cached) before any test runs. */
export default function setup(): void {
  execFileSync(process.execPath, ['wasm-tools/build.mjs'], { stdio: 'inherit' });
}
