import type { ToolManifest } from '../../../src-shared/index.js';
import { KernelError } from '../core/kernel-error.js';
import { WasmToolProvider, type SandboxServices } from '../sandbox/index.js';
import type { ToolCallContext, ToolProvider } from '../tools/index.js';
import type { InstallRecord } from './install-store.js';

interface Entry {
  record: InstallRecord;
  manifest: ToolManifest;
  hostFunctions: string[];
  /** Each installed tool runs in a sandbox provider of its own, so one can come and go without touching the others. */
  sandbox: WasmToolProvider;
}

/**
 * The user's installed tools, as one provider of the tool registry: each a Wasm plugin pinned to
 * the sha256 of its install, run by the same sandbox (grants, workers, watchdog, audit) as the
 * built-ins.
 */
export class InstalledToolProvider implements ToolProvider {
  readonly name = 'installed-tools';
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly services: SandboxServices) {}

  add(record: InstallRecord, manifest: ToolManifest, bytes: Uint8Array, hostFunctions: string[]): void {
    const sandbox = new WasmToolProvider([{ manifest, bytes }], this.services);
    this.entries.set(manifest.name, { record, manifest, hostFunctions, sandbox });
  }

  async remove(name: string): Promise<void> {
    const entry = this.entries.get(name);
    this.entries.delete(name);
    await entry?.sandbox.dispose();
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  list(): { record: InstallRecord; manifest: ToolManifest; hostFunctions: string[] }[] {
    return [...this.entries.values()].map(({ record, manifest, hostFunctions }) => ({ record, manifest, hostFunctions }));
  }

  manifests(): ToolManifest[] {
    return [...this.entries.values()].map((entry) => entry.manifest);
  }

  warm(tools: readonly string[]): void {
    for (const tool of tools) this.entries.get(tool)?.sandbox.warm([tool]);
  }

  invoke(tool: string, args: Record<string, unknown>, context: ToolCallContext): Promise<unknown> {
    const entry = this.entries.get(tool);
    if (!entry) return Promise.reject(new KernelError('UNKNOWN_TOOL', `no installed tool "${tool}"`, { tool }));
    return entry.sandbox.invoke(tool, args, context);
  }

  async dispose(): Promise<void> {
    await Promise.allSettled([...this.entries.values()].map((entry) => entry.sandbox.dispose()));
    this.entries.clear();
  }
}
