import { z } from 'zod';
import { CapabilityRequirement, ToolLimits, ToolName } from './tool.contract.js';

/**
 * Third-party tool packages: a folder, `.tar.gz` or `.zip` holding `tool.json` (the manifest of
 * `wasm-tools/tools/*\/tool.json`, without `sha256`/`file`), `plugin.wasm` and optionally
 * `plugin.sig`. The package digest is sha256 over `"amk-tool-package-v1\n" + sha256(tool.json
 * bytes) + "\n" + sha256(plugin.wasm bytes) + "\n"`; the signature is ed25519 over that digest's
 * 32 bytes, and `plugin.sig` is JSON `{ "publicKey": base64 raw 32 bytes, "signature": base64,
 * "publisher": "name" }`.
 */

/** A publisher's ed25519 key the user trusts: its id is the first 16 hex of sha256(raw key). */
export const PublisherKey = z.object({
  id: z.string().regex(/^[0-9a-f]{16}$/),
  publisher: z.string().min(1).max(100),
  /** base64 of the raw 32-byte ed25519 public key. */
  publicKey: z.string().min(1).max(100),
  addedAt: z.string(),
});
export type PublisherKey = z.infer<typeof PublisherKey>;

/** What the signature says: signed by a trusted key, by a key the user does not trust, broken, or absent. */
export const SignatureStatus = z.enum(['trusted', 'untrusted-key', 'invalid', 'unsigned']);
export type SignatureStatus = z.infer<typeof SignatureStatus>;

/** A package staged for the user's review; nothing is installed until `tools.install` names it. */
export const ToolPackageReview = z.object({
  reviewId: z.string().min(1).max(100),
  name: ToolName,
  description: z.string(),
  publisher: z.string().nullable(),
  keyId: z.string().nullable(),
  signature: SignatureStatus,
  /** The package digest (see above), hex. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  pluginSha256: z.string().regex(/^[0-9a-f]{64}$/),
  sizeBytes: z.number().int().nonnegative(),
  /** What the tool's arguments can make it ask for (the user still grants each at call time). */
  requires: z.array(CapabilityRequirement),
  limits: ToolLimits,
  /** Host functions the plugin imports (`kernel_http`, `kernel_fs`, …), and whether it uses the WASI subset. */
  hostFunctions: z.array(z.string()),
  wasi: z.boolean(),
  /** Why it cannot be installed as it is (a name taken, an import the kernel does not offer, …); empty when it can. */
  problems: z.array(z.string()),
});
export type ToolPackageReview = z.infer<typeof ToolPackageReview>;

/** A tool the kernel can run, with where it came from. */
export const InstalledTool = z.object({
  name: ToolName,
  description: z.string(),
  source: z.enum(['builtin', 'installed', 'mcp']),
  sha256: z.string().nullable(),
  publisher: z.string().nullable(),
  signature: SignatureStatus.nullable(),
  installedAt: z.string().nullable(),
  requires: z.array(CapabilityRequirement),
  limits: ToolLimits.nullable(),
  hostFunctions: z.array(z.string()),
});
export type InstalledTool = z.infer<typeof InstalledTool>;

/** API entries of the tool packages subsystem (merged into `kernelApi`). */
export const toolPackageApi = {
  /** Stages a package from a path on the kernel's machine or an https URL, for review. */
  'tools.stage': { params: z.union([z.object({ path: z.string().min(1).max(4096) }).strict(), z.object({ url: z.string().url().max(4096) }).strict()]), result: ToolPackageReview },
  /** Installs a staged package; an unsigned (or untrusted-key) one only with `allowUnsigned: true`. */
  'tools.install': { params: z.object({ reviewId: z.string().min(1).max(100), allowUnsigned: z.boolean().optional() }).strict(), result: InstalledTool },
  'tools.discard': { params: z.object({ reviewId: z.string().min(1).max(100) }).strict(), result: z.object({ ok: z.literal(true) }) },
  'tools.installed': { params: z.object({}).strict(), result: z.array(InstalledTool) },
  'tools.remove': { params: z.object({ name: ToolName }).strict(), result: z.object({ ok: z.literal(true) }) },
  'tools.keys.list': { params: z.object({}).strict(), result: z.array(PublisherKey) },
  /** `publicKey`: base64 of the raw 32 bytes, or a PEM (SPKI) ed25519 public key as `amk tools keygen` writes it. */
  'tools.keys.trust': { params: z.object({ publisher: z.string().min(1).max(100), publicKey: z.string().min(1).max(1000) }).strict(), result: PublisherKey },
  'tools.keys.remove': { params: z.object({ id: z.string().regex(/^[0-9a-f]{16}$/) }).strict(), result: z.object({ ok: z.literal(true) }) },
} as const;

/** Where the browser UI uploads a dropped or picked package: `PUT /tools/upload?name=FILE` (administrator token); answers a `ToolPackageReview`. */
export const TOOL_UPLOAD_PATH = '/tools/upload';
