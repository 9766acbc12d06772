import type { PublisherKey, ToolManifest, ToolPackageReview } from '../../../src-shared/index.js';
import { ToolManifest as ToolManifestSchema, describeIssues } from '../../../src-shared/index.js';
import { declaredImports, verifyPlugin } from '../sandbox/index.js';
import { packageError } from './package-limits.js';
import type { PackageFiles } from './package-source.js';
import { checkSignature, packageDigest, sha256Hex } from './package-signature.js';

/** The module the kernel's host functions are imported from. */
const HOST_MODULE = 'extism:host/user';

/** Tool names a package may never take: the MCP bridge's namespace. */
const RESERVED_PREFIX = 'mcp__';

/** The package's manifest: the catalog's shape with `runtime` implied; the pins are the kernel's to set, never the package's. */
export function parsePackageManifest(toolJson: Buffer): ToolManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(toolJson.toString('utf8'));
  } catch (error) {
    throw packageError(`tool.json is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw packageError('tool.json must be a JSON object');
  const fields = raw as Record<string, unknown>;
  for (const pinned of ['sha256', 'file']) {
    if (pinned in fields) throw packageError(`tool.json may not set "${pinned}": the kernel pins the plugin it installs`);
  }
  if ('runtime' in fields && fields.runtime !== 'wasm') throw packageError(`tool.json has runtime ${JSON.stringify(fields.runtime)}; a package holds a wasm tool`);
  const parsed = ToolManifestSchema.safeParse({ ...fields, runtime: 'wasm' });
  if (!parsed.success) throw packageError(describeIssues(parsed.error, 'tool.json'));
  return parsed.data;
}

export interface ReviewInput {
  trustedKeys: readonly PublisherKey[];
  /** Why this name cannot be taken (a built-in, an installed tool, an MCP tool), or null. */
  nameTaken: (name: string) => string | null;
}

export interface PackageAnalysis {
  review: Omit<ToolPackageReview, 'reviewId'>;
  /** The manifest with the plugin's sha256 pinned: what the sandbox loads. */
  manifest: ToolManifest;
  signatureDetail: string | null;
}

/**
 * Everything the user needs to decide, and every reason the kernel would refuse: the name, the
 * signature, the digest, what the tool can ask for, its limits, its imports, and the problems
 * (the same load checks the sandbox makes, run now rather than at the first call).
 */
export function analysePackage(files: PackageFiles, input: ReviewInput): PackageAnalysis {
  const parsed = parsePackageManifest(files.toolJson);
  const pluginSha256 = sha256Hex(files.wasm);
  const manifest: ToolManifest = { ...parsed, sha256: pluginSha256 };
  const digest = packageDigest(files.toolJson, files.wasm);
  const signature = checkSignature(files.sig, digest, input.trustedKeys);
  const problems: string[] = [];
  if (manifest.name.startsWith(RESERVED_PREFIX)) problems.push(`the name ${manifest.name} is reserved for MCP servers' tools (${RESERVED_PREFIX}SERVER__TOOL)`);
  const taken = input.nameTaken(manifest.name);
  if (taken) problems.push(taken);
  let hostFunctions: string[] = [];
  let wasi = false;
  try {
    const imports = declaredImports(files.wasm);
    hostFunctions = [...new Set(imports.filter((entry) => entry.module === HOST_MODULE).map((entry) => entry.name))].sort();
    wasi = imports.some((entry) => entry.module.startsWith('wasi'));
  } catch (error) {
    problems.push(`plugin.wasm is not a valid WebAssembly module: ${(error as Error).message}`);
  }
  const refused = verifyPlugin(manifest, files.wasm);
  if (refused && !problems.some((problem) => problem.startsWith('plugin.wasm is not'))) problems.push(`plugin.wasm: ${refused}`);
  if (signature.status === 'invalid') problems.push(`the signature is invalid: ${signature.detail ?? 'it does not verify'}`);
  return {
    manifest,
    signatureDetail: signature.detail,
    review: {
      name: manifest.name,
      description: manifest.description,
      publisher: signature.publisher,
      keyId: signature.keyId,
      signature: signature.status,
      sha256: digest.toString('hex'),
      pluginSha256,
      sizeBytes: files.wasm.length,
      requires: manifest.requires,
      limits: manifest.limits,
      hostFunctions,
      wasi,
      problems,
    },
  };
}
