import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { InstalledTool, PublisherKey, ToolManifest, ToolPackageReview } from '../../../src-shared/index.js';
import { ToolName } from '../../../src-shared/index.js';
import type { Disposable } from '../core/disposable.js';
import { KernelError } from '../core/kernel-error.js';
import { declaredImports, loadCatalog, verifyPlugin, type SandboxServices } from '../sandbox/index.js';
import type { ToolRegistry } from '../tools/index.js';
import { loadInstalled, TrustedKeys, writeInstallRecord, type InstallRecord } from './install-store.js';
import { InstalledToolProvider } from './installed-tool-provider.js';
import { PACKAGE_LIMITS, packageError } from './package-limits.js';
import { analysePackage } from './package-review.js';
import { downloadPackage, gatherCapped, readArchive, readPackagePath, type PackageFiles } from './package-source.js';
import { keyIdOf, rawPublicKey } from './package-signature.js';

export interface ToolPackagesOptions {
  dataDir: string;
  key: Buffer;
  registry: ToolRegistry;
  services: SandboxServices;
  /** Folders of the built-in catalog, to tell what the built-ins import. */
  toolDirs: readonly string[];
  reviewTtlMs?: number;
}

interface Staged {
  review: ToolPackageReview;
  folder: string;
  expiresAt: number;
}

const MAX_STAGED = 16;
const MAX_STAGING_AT_ONCE = 4;

function hostFunctionsOf(bytes: Uint8Array): string[] {
  try {
    return [...new Set(declaredImports(bytes).filter((entry) => entry.module === 'extism:host/user').map((entry) => entry.name))].sort();
  } catch {
    return [];
  }
}

/**
 * Third-party tools: packages staged for review (nothing runs, nothing is installed), installed
 * into `<data dir>/tools/NAME/` with a MACed record pinning their bytes, registered live, checked
 * again at every boot; and the publisher keys the user trusts.
 */
export class ToolPackages implements Disposable {
  readonly provider: InstalledToolProvider;
  readonly warnings: string[] = [];
  private readonly root: string;
  private readonly stagingRoot: string;
  private readonly trusted: TrustedKeys;
  private readonly staged = new Map<string, Staged>();
  private readonly installing = new Set<string>();
  private stagingNow = 0;
  private builtinImports: Map<string, string[]> | null = null;
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly options: ToolPackagesOptions) {
    this.root = join(options.dataDir, 'tools');
    this.stagingRoot = join(this.root, '.staging');
    mkdirSync(this.root, { recursive: true, mode: 0o700 });
    // Reviews do not outlive the kernel: what a previous run staged is gone.
    rmSync(this.stagingRoot, { recursive: true, force: true });
    this.trusted = new TrustedKeys(join(this.root, 'trusted-keys.json'), options.key);
    this.warnings.push(...this.trusted.loadProblems);
    this.provider = new InstalledToolProvider(options.services);
    this.loadAll();
    this.sweeper = setInterval(() => void this.sweep(), 60_000);
    this.sweeper.unref();
  }

  /** Every installed tool, each proven to be what was installed; one that is not is refused with a warning. */
  private loadAll(): void {
    for (const name of readdirSync(this.root)) {
      if (!ToolName.safeParse(name).success) continue;
      const loaded = loadInstalled(join(this.root, name), name, this.options.key);
      const problem = typeof loaded === 'string' ? loaded : verifyPlugin(loaded.manifest, loaded.bytes);
      if (problem !== null || typeof loaded === 'string') {
        this.refuseAtLoad(name, problem ?? 'refused');
        continue;
      }
      this.provider.add(loaded.record, loaded.manifest, loaded.bytes, hostFunctionsOf(loaded.bytes));
    }
  }

  private refuseAtLoad(name: string, reason: string): void {
    this.warnings.push(`installed tool ${name}: refused: ${reason}; remove it with \`amk tools remove ${name}\` and install it again`);
    this.auditAdmin(`tools.load ${name}`, 'denied', reason);
  }

  /** Registers the installed tools after the built-ins: one whose name is taken by then is refused, not fatal. */
  register(): void {
    for (const refused of this.options.registry.replace(this.provider)) {
      const name = refused.slice(0, refused.indexOf(':'));
      void this.provider.remove(name);
      this.refuseAtLoad(name, refused.slice(name.length + 2));
    }
  }

  async stage(source: { path: string } | { url: string }): Promise<ToolPackageReview> {
    return this.withStagingSlot(() => ('url' in source ? downloadPackage(source.url) : readPackagePath(source.path)));
  }

  /** A package uploaded through `PUT /tools/upload`: gathered up to the archive cap while streaming. */
  async receive(file: string, body: AsyncIterable<Uint8Array>, declaredBytes?: number): Promise<ToolPackageReview> {
    if (declaredBytes !== undefined && declaredBytes > PACKAGE_LIMITS.archiveBytes) {
      throw packageError(`${file.slice(0, 100)} is ${declaredBytes} bytes, over the ${PACKAGE_LIMITS.archiveBytes}-byte limit of a tool package`, 'too-large');
    }
    return this.withStagingSlot(async () => readArchive(await gatherCapped(body, PACKAGE_LIMITS.archiveBytes, file.slice(0, 100) || 'the upload')));
  }

  private async withStagingSlot(read: () => Promise<PackageFiles>): Promise<ToolPackageReview> {
    await this.sweep();
    if (this.stagingNow >= MAX_STAGING_AT_ONCE) throw new KernelError('INVALID_STATE', `${MAX_STAGING_AT_ONCE} packages are being read already; try again when they are done`);
    if (this.staged.size >= MAX_STAGED) throw new KernelError('INVALID_STATE', `${MAX_STAGED} packages await review; install or discard some first`);
    this.stagingNow++;
    try {
      return await this.stageFiles(await read());
    } finally {
      this.stagingNow--;
    }
  }

  private async stageFiles(files: PackageFiles): Promise<ToolPackageReview> {
    const { review } = analysePackage(files, { trustedKeys: this.trusted.list(), nameTaken: (name) => this.nameTaken(name) });
    const reviewId = randomBytes(12).toString('hex');
    const folder = join(this.stagingRoot, reviewId);
    await mkdir(this.stagingRoot, { recursive: true, mode: 0o700 });
    // A fresh folder of the kernel's own naming: nothing of the package decides where bytes go.
    await mkdir(folder, { mode: 0o700 });
    try {
      await writeFile(join(folder, 'tool.json'), files.toolJson, { flag: 'wx', mode: 0o600 });
      await writeFile(join(folder, 'plugin.wasm'), files.wasm, { flag: 'wx', mode: 0o600 });
      if (files.sig) await writeFile(join(folder, 'plugin.sig'), files.sig, { flag: 'wx', mode: 0o600 });
    } catch (error) {
      await rm(folder, { recursive: true, force: true });
      throw error;
    }
    const full = { reviewId, ...review };
    this.staged.set(reviewId, { review: full, folder, expiresAt: Date.now() + (this.options.reviewTtlMs ?? 15 * 60_000) });
    return full;
  }

  private nameTaken(name: string): string | null {
    if (this.provider.has(name)) return `a tool named ${name} is already installed; remove it first to replace it`;
    if (this.options.registry.has(name)) return `${name} is the name of a ${this.options.registry.manifest(name).runtime === 'mcp' ? 'tool of an MCP server' : 'built-in tool'}; an installed tool may not shadow it`;
    if (existsSync(join(this.root, name))) return `an install of ${name} that was refused at load is on disk; remove it first (amk tools remove ${name})`;
    return null;
  }

  discard(reviewId: string): void {
    const staged = this.requireStaged(reviewId);
    this.staged.delete(reviewId);
    rmSync(staged.folder, { recursive: true, force: true });
  }

  private requireStaged(reviewId: string): Staged {
    const staged = this.staged.get(reviewId);
    if (!staged || staged.expiresAt <= Date.now()) throw new KernelError('INVALID_REQUEST', `no package awaits review as ${reviewId.slice(0, 100)} (reviews expire after 15 minutes; stage it again)`, { reason: 'unknown-review' });
    return staged;
  }

  /**
   * Installs a staged package: the files are read back and checked against the review, the
   * problems and the signature decide, then the folder moves into place and the tool is registered.
   */
  async install(reviewId: string, allowUnsigned: boolean): Promise<InstalledTool> {
    const staged = this.requireStaged(reviewId);
    if (this.installing.has(reviewId)) throw new KernelError('INVALID_STATE', 'this package is being installed already');
    this.installing.add(reviewId);
    try {
      // The staging folder is read again: what is installed is what is checked now, not what was shown.
      const files = await readPackagePath(staged.folder);
      const { review } = analysePackage(files, { trustedKeys: this.trusted.list(), nameTaken: (name) => this.nameTaken(name) });
      if (review.sha256 !== staged.review.sha256) throw packageError('the staged files changed since the review; stage the package again', 'changed');
      if (review.problems.length > 0) throw packageError(`${review.name} cannot be installed: ${review.problems.join('; ')}`, 'problems');
      if ((review.signature === 'unsigned' || review.signature === 'untrusted-key') && !allowUnsigned) {
        const why = review.signature === 'unsigned' ? 'is not signed' : `is signed by a key you do not trust (${review.keyId ?? '?'}, claiming to be ${review.publisher ?? '?'})`;
        throw packageError(`${review.name} ${why}: install it anyway with allowUnsigned (amk tools install --allow-unsigned), or trust its publisher's key first`, review.signature);
      }
      const record: InstallRecord = {
        name: review.name,
        sha256: review.sha256,
        pluginSha256: review.pluginSha256,
        publisher: review.publisher,
        keyId: review.keyId,
        signature: review.signature,
        installedAt: new Date().toISOString(),
      };
      writeInstallRecord(join(staged.folder, 'install.json'), this.options.key, record);
      const target = join(this.root, review.name);
      try {
        // rename refuses a non-empty target: two installs of one name cannot both win.
        await rename(staged.folder, target);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        await rm(join(staged.folder, 'install.json'), { force: true });
        if (code === 'ENOTEMPTY' || code === 'EEXIST') throw new KernelError('INVALID_STATE', `a tool named ${review.name} is already on disk; remove it first`);
        throw error;
      }
      this.staged.delete(reviewId);
      const loaded = loadInstalled(target, review.name, this.options.key);
      if (typeof loaded === 'string') throw new KernelError('INTERNAL', `${review.name} did not load after install: ${loaded}`);
      this.provider.add(loaded.record, loaded.manifest, loaded.bytes, review.hostFunctions);
      const refused = this.options.registry.replace(this.provider);
      if (refused.some((line) => line.startsWith(`${review.name}:`))) {
        await this.provider.remove(review.name);
        await rm(target, { recursive: true, force: true });
        throw new KernelError('INVALID_STATE', `${review.name} could not be registered: ${refused.join('; ')}`);
      }
      const signed = record.signature === 'unsigned' ? 'unsigned' : `${record.signature} (publisher ${record.publisher ?? '?'}, key ${record.keyId ?? '?'})`;
      this.auditAdmin(`tools.install ${record.name}`, 'allowed', `installed by the user: package ${record.sha256}, plugin ${record.pluginSha256}, ${signed}`);
      return this.describeInstalled(record, loaded.manifest, review.hostFunctions);
    } finally {
      this.installing.delete(reviewId);
    }
  }

  async remove(name: string): Promise<void> {
    const onDisk = existsSync(join(this.root, name));
    if (!this.provider.has(name) && !onDisk) {
      if (this.options.registry.has(name)) {
        const runtime = this.options.registry.manifest(name).runtime;
        throw new KernelError('INVALID_REQUEST', runtime === 'mcp' ? `${name} belongs to an MCP server: remove the server (amk mcp-servers remove)` : `${name} is a built-in tool; built-ins cannot be removed`);
      }
      throw new KernelError('UNKNOWN_TOOL', `no installed tool "${name}"`, { tool: name });
    }
    await this.provider.remove(name);
    this.options.registry.replace(this.provider);
    await rm(join(this.root, name), { recursive: true, force: true });
    this.auditAdmin(`tools.remove ${name}`, 'ok', 'removed by the user');
  }

  /** Built-ins (the catalog), installed tools and MCP servers' tools, with where each came from. */
  installed(): InstalledTool[] {
    const installed = new Map(this.provider.list().map((entry) => [entry.manifest.name, entry]));
    return this.options.registry.list().map((manifest) => {
      const entry = installed.get(manifest.name);
      if (entry) return this.describeInstalled(entry.record, entry.manifest, entry.hostFunctions);
      const mcp = manifest.runtime === 'mcp';
      return {
        name: manifest.name,
        description: manifest.description,
        source: mcp ? 'mcp' : 'builtin',
        sha256: manifest.sha256 ?? null,
        publisher: null,
        signature: null,
        installedAt: null,
        requires: manifest.requires,
        limits: mcp ? null : manifest.limits,
        hostFunctions: mcp ? [] : (this.builtinHostFunctions().get(manifest.name) ?? []),
      };
    });
  }

  private builtinHostFunctions(): Map<string, string[]> {
    if (!this.builtinImports) {
      const plugins = this.options.toolDirs.flatMap((directory) => loadCatalog(directory).plugins);
      this.builtinImports = new Map(plugins.map((plugin) => [plugin.manifest.name, hostFunctionsOf(plugin.bytes)]));
    }
    return this.builtinImports;
  }

  private describeInstalled(record: InstallRecord, manifest: ToolManifest, hostFunctions: string[]): InstalledTool {
    return {
      name: record.name,
      description: manifest.description,
      source: 'installed',
      sha256: record.sha256,
      publisher: record.publisher,
      signature: record.signature,
      installedAt: record.installedAt,
      requires: manifest.requires,
      limits: manifest.limits,
      hostFunctions,
    };
  }

  listKeys(): PublisherKey[] {
    return this.trusted.list();
  }

  trustKey(publisher: string, publicKey: string): PublisherKey {
    const raw = rawPublicKey(publicKey);
    const entry = this.trusted.add({ id: keyIdOf(raw), publisher, publicKey: raw.toString('base64'), addedAt: new Date().toISOString() });
    this.auditAdmin(`tools.keys.trust ${entry.id}`, 'allowed', `the user trusts ${publisher}'s key ${entry.id}`);
    return entry;
  }

  removeKey(id: string): void {
    const removed = this.trusted.remove(id);
    this.auditAdmin(`tools.keys.remove ${id}`, 'ok', `the user no longer trusts ${removed.publisher}'s key ${id}`);
  }

  private auditAdmin(name: string, outcome: 'ok' | 'allowed' | 'denied', reason: string): void {
    this.options.services.audit.append({ pid: null, agentId: null, kind: 'grant', name, argsDigest: null, capability: null, outcome, reason, resultBytes: null, durationMs: null });
  }

  private async sweep(): Promise<void> {
    const now = Date.now();
    for (const [id, staged] of this.staged) {
      if (staged.expiresAt > now || this.installing.has(id)) continue;
      this.staged.delete(id);
      await rm(staged.folder, { recursive: true, force: true });
    }
  }

  async dispose(): Promise<void> {
    clearInterval(this.sweeper);
    await this.provider.dispose();
    rmSync(this.stagingRoot, { recursive: true, force: true });
  }
}
