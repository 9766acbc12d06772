import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { CapabilityRequirement, KernelClient, ToolPackageReview } from '../../src-shared/index.js';
import { signPackage } from '../kernel/index.js';
import { EXIT, UsageError, table } from './cli-io.js';

export interface ToolsFlags {
  allowUnsigned: boolean;
  yes: boolean;
  json: boolean;
  key?: string;
  publisher?: string;
}

const USAGE = 'usage: amk tools install PATH|URL [--allow-unsigned] [--yes] | list | remove NAME | trust KEYFILE [--publisher NAME] | keys | untrust ID | keygen OUT | sign DIR --key OUT.key [--publisher NAME]';

function describeRequirement(requirement: CapabilityRequirement): string {
  if (requirement.kind === 'clock' || requirement.kind === 'mcp') return requirement.kind;
  return `${requirement.kind} (named by its "${requirement.arg}" argument)`;
}

export function printReview(review: ToolPackageReview): void {
  const signature =
    review.signature === 'trusted'
      ? `signed by ${review.publisher ?? '?'} (trusted key ${review.keyId ?? '?'})`
      : review.signature === 'untrusted-key'
        ? `signed by a key you do not trust (${review.keyId ?? '?'}, claiming to be ${review.publisher ?? '?'})`
        : review.signature === 'invalid'
          ? 'INVALID signature'
          : 'not signed';
  const lines = [
    `tool:           ${review.name}: ${review.description}`,
    `publisher:      ${signature}`,
    `sha256:         ${review.sha256} (plugin ${review.pluginSha256})`,
    `size:           ${review.sizeBytes} bytes`,
    `can ask for:    ${review.requires.length === 0 ? 'nothing (computes only)' : review.requires.map(describeRequirement).join(', ')}; each is asked for (or granted) per call`,
    `limits:         ${review.limits.memoryPages} memory pages (${(review.limits.memoryPages * 64) / 1024} MiB), ${review.limits.timeMs} ms, ${review.limits.outputBytes} bytes of output`,
    `host functions: ${review.hostFunctions.length === 0 ? 'none' : review.hostFunctions.join(', ')}${review.wasi ? '; uses WASI' : ''}`,
  ];
  for (const problem of review.problems) lines.push(`problem:        ${problem}`);
  console.log(lines.join('\n'));
}

async function confirm(question: string): Promise<boolean> {
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await prompt.question(question)).trim());
  } finally {
    prompt.close();
  }
}

async function install(client: KernelClient, target: string, flags: ToolsFlags): Promise<number> {
  // A path is the kernel's to read: resolved here, where the user typed it.
  const source = /^https?:\/\//i.test(target) ? { url: target } : { path: resolve(target) };
  const review = await client.call('tools.stage', source);
  printReview(review);
  const refuse = async (message: string): Promise<number> => {
    await client.call('tools.discard', { reviewId: review.reviewId });
    console.error(`amk: ${message}`);
    return EXIT.failed;
  };
  if (review.problems.length > 0) return refuse(`${review.name} cannot be installed (see the problems above)`);
  if ((review.signature === 'unsigned' || review.signature === 'untrusted-key') && !flags.allowUnsigned) {
    return refuse(`${review.name} is ${review.signature === 'unsigned' ? 'not signed' : 'signed by a key you do not trust'}: pass --allow-unsigned to install it anyway, or trust the publisher's key (amk tools trust KEYFILE)`);
  }
  if (!flags.yes) {
    if (!process.stdin.isTTY) return refuse('not installed: confirm with --yes (there is no terminal to ask on)');
    if (!(await confirm(`install ${review.name}? [y/N] `))) return refuse('not installed');
  }
  const installed = await client.call('tools.install', { reviewId: review.reviewId, ...(flags.allowUnsigned ? { allowUnsigned: true } : {}) });
  console.log(`installed ${installed.name} (${installed.signature ?? 'unsigned'}); agents can name it in their tools now`);
  return EXIT.ok;
}

/** `amk tools keygen OUT`: OUT.key (private, PEM, 0600) and OUT.pub (public, PEM). Neither is overwritten. */
function keygen(out: string): number {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  writeFileSync(`${out}.key`, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600, flag: 'wx' });
  writeFileSync(`${out}.pub`, publicKey.export({ format: 'pem', type: 'spki' }), { flag: 'wx' });
  console.log(`wrote ${out}.key (keep it secret) and ${out}.pub (give it to your users: amk tools trust ${basename(out)}.pub)`);
  return EXIT.ok;
}

/** `amk tools sign DIR --key K.key`: DIR/plugin.sig over DIR/tool.json and DIR/plugin.wasm. */
function signFolder(dir: string, flags: ToolsFlags): number {
  if (!flags.key) throw new UsageError('usage: amk tools sign DIR --key OUT.key [--publisher NAME]');
  const publisher = flags.publisher ?? basename(flags.key).replace(/\.key$/, '');
  const signature = signPackage(readFileSync(join(dir, 'tool.json')), readFileSync(join(dir, 'plugin.wasm')), readFileSync(flags.key, 'utf8'), publisher);
  writeFileSync(join(dir, 'plugin.sig'), `${JSON.stringify(signature, null, 2)}\n`);
  console.log(`wrote ${join(dir, 'plugin.sig')} (publisher ${publisher})`);
  return EXIT.ok;
}

export async function tools(args: string[], flags: ToolsFlags, withClient: (work: (client: KernelClient) => Promise<number>) => Promise<number>): Promise<number> {
  const [action, argument] = args;
  switch (action) {
    case 'keygen':
      if (!argument) throw new UsageError('usage: amk tools keygen OUT (writes OUT.key and OUT.pub)');
      return keygen(argument);
    case 'sign':
      if (!argument) throw new UsageError('usage: amk tools sign DIR --key OUT.key [--publisher NAME]');
      return signFolder(argument, flags);
    case 'install':
      if (!argument) throw new UsageError('usage: amk tools install PATH|URL [--allow-unsigned] [--yes]');
      return withClient((client) => install(client, argument, flags));
    case 'list':
    case undefined:
      return withClient(async (client) => {
        const all = await client.call('tools.installed', {});
        if (flags.json) console.log(JSON.stringify(all, null, 2));
        else console.log(table([['NAME', 'SOURCE', 'SIGNATURE', 'PUBLISHER', 'INSTALLED'], ...all.map((t) => [t.name, t.source, t.signature ?? '-', t.publisher ?? '-', t.installedAt ?? '-'])]));
        return EXIT.ok;
      });
    case 'remove':
      if (!argument) throw new UsageError('usage: amk tools remove NAME');
      return withClient(async (client) => {
        await client.call('tools.remove', { name: argument });
        console.log(`removed ${argument}`);
        return EXIT.ok;
      });
    case 'trust': {
      if (!argument) throw new UsageError('usage: amk tools trust KEYFILE [--publisher NAME]');
      const publicKey = readFileSync(argument, 'utf8').trim();
      const publisher = flags.publisher ?? basename(argument).replace(/\.(pub|pem)$/, '');
      return withClient(async (client) => {
        const key = await client.call('tools.keys.trust', { publisher, publicKey });
        console.log(`trusted ${key.publisher}'s key ${key.id}`);
        return EXIT.ok;
      });
    }
    case 'keys':
      return withClient(async (client) => {
        const keys = await client.call('tools.keys.list', {});
        console.log(table([['ID', 'PUBLISHER', 'ADDED'], ...keys.map((k) => [k.id, k.publisher, k.addedAt])]));
        return EXIT.ok;
      });
    case 'untrust':
      if (!argument) throw new UsageError('usage: amk tools untrust ID');
      return withClient(async (client) => {
        await client.call('tools.keys.remove', { id: argument });
        console.log(`no longer trusting key ${argument}`);
        return EXIT.ok;
      });
    default:
      throw new UsageError(`unknown tools command "${action}"\n${USAGE}`);
  }
}
