import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import type { PublisherKey, SignatureStatus } from '../../../src-shared/index.js';
import { KernelError } from '../core/kernel-error.js';

/** DER prefix of an ed25519 SubjectPublicKeyInfo; the raw 32-byte key follows it. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The package digest of the contract: what a signature covers (the manifest and the plugin, nothing else). */
export function packageDigest(toolJson: Uint8Array, wasm: Uint8Array): Buffer {
  return createHash('sha256').update(`amk-tool-package-v1\n${sha256Hex(toolJson)}\n${sha256Hex(wasm)}\n`).digest();
}

export function keyIdOf(raw: Buffer): string {
  return sha256Hex(raw).slice(0, 16);
}

function publicKeyFromRaw(raw: Buffer): KeyObject {
  return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

/** A publisher key as the user gives it: PEM (SPKI) or base64 of the raw 32 bytes; returns the raw bytes. */
export function rawPublicKey(text: string): Buffer {
  const trimmed = text.trim();
  if (trimmed.startsWith('-----BEGIN')) {
    let key: KeyObject;
    try {
      key = createPublicKey(trimmed);
    } catch (error) {
      throw new KernelError('INVALID_REQUEST', `not a PEM public key: ${(error as Error).message}`);
    }
    if (key.asymmetricKeyType !== 'ed25519') throw new KernelError('INVALID_REQUEST', `the key is ${key.asymmetricKeyType ?? 'unknown'}, not ed25519`);
    return key.export({ format: 'der', type: 'spki' }).subarray(ED25519_SPKI_PREFIX.length);
  }
  const raw = /^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) ? Buffer.from(trimmed, 'base64') : Buffer.alloc(0);
  if (raw.length !== 32) throw new KernelError('INVALID_REQUEST', 'a publisher key is a PEM ed25519 public key or the base64 of its 32 raw bytes');
  return raw;
}

/** `plugin.sig`, as the contract describes it. */
export const PluginSignature = z.object({
  publicKey: z.string().max(100),
  signature: z.string().max(200),
  publisher: z.string().min(1).max(100),
});
export type PluginSignature = z.infer<typeof PluginSignature>;

export interface SignatureCheck {
  status: SignatureStatus;
  /** The trusted key's publisher when trusted; otherwise what the signature claims (never vouched for). */
  publisher: string | null;
  keyId: string | null;
  /** Why it is invalid, for the review's message. */
  detail: string | null;
}

/** Checks `plugin.sig` against the package digest and the user's trusted keys. */
export function checkSignature(sig: Buffer | null, digest: Buffer, trusted: readonly PublisherKey[]): SignatureCheck {
  if (sig === null) return { status: 'unsigned', publisher: null, keyId: null, detail: null };
  let parsed: PluginSignature;
  try {
    parsed = PluginSignature.parse(JSON.parse(sig.toString('utf8')));
  } catch {
    return { status: 'invalid', publisher: null, keyId: null, detail: 'plugin.sig is not the JSON {publicKey, signature, publisher}' };
  }
  const raw = Buffer.from(parsed.publicKey, 'base64');
  const signature = Buffer.from(parsed.signature, 'base64');
  if (raw.length !== 32 || signature.length !== 64) return { status: 'invalid', publisher: parsed.publisher, keyId: null, detail: 'plugin.sig holds a key or signature of the wrong length' };
  const keyId = keyIdOf(raw);
  let holds = false;
  try {
    holds = verify(null, digest, publicKeyFromRaw(raw), signature);
  } catch {
    holds = false;
  }
  if (!holds) return { status: 'invalid', publisher: parsed.publisher, keyId, detail: 'the signature does not match the package (altered after signing, or signed by another key)' };
  const key = trusted.find((candidate) => candidate.id === keyId && candidate.publicKey === raw.toString('base64'));
  return key ? { status: 'trusted', publisher: key.publisher, keyId, detail: null } : { status: 'untrusted-key', publisher: parsed.publisher, keyId, detail: null };
}

/** A publisher's side: `plugin.sig` for a package, signed with their private key (PEM). */
export function signPackage(toolJson: Uint8Array, wasm: Uint8Array, privateKeyPem: string, publisher: string): PluginSignature {
  const key = createPrivateKey(privateKeyPem);
  if (key.asymmetricKeyType !== 'ed25519') throw new KernelError('INVALID_REQUEST', `the key is ${key.asymmetricKeyType ?? 'unknown'}, not ed25519`);
  const raw = createPublicKey(key).export({ format: 'der', type: 'spki' }).subarray(ED25519_SPKI_PREFIX.length);
  const signature = sign(null, packageDigest(toolJson, wasm), key);
  return { publicKey: raw.toString('base64'), signature: signature.toString('base64'), publisher };
}
