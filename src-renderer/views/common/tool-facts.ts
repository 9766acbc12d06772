import type { CapabilityRequirement, SignatureStatus, ToolLimits } from '../../../src-shared/index.js';
import { formatBytes } from './format.js';

/** Wasm memory grows in pages of 64 KiB. */
const WASM_PAGE_BYTES = 64 * 1024;

/** Plain words for what a tool's arguments can make it ask for (each is still granted at call time). */
export function describeRequirement(requirement: CapabilityRequirement): string {
  switch (requirement.kind) {
    case 'net':
      return `network: the host named by its \`${requirement.arg}\` argument`;
    case 'fs:read':
      return `read files: the path in \`${requirement.arg}\``;
    case 'fs:write':
      return `write files: the path in \`${requirement.arg}\``;
    case 'env':
      return `an environment variable: the one named in \`${requirement.arg}\``;
    case 'clock':
      return 'the clock';
    case 'memory':
      return `another agent's long-term memory: the agent named in \`${requirement.arg}\``;
    case 'ipc':
      return `send messages: the agent named in \`${requirement.arg}\``;
    case 'mcp':
      return `the MCP tool ${requirement.tool} of the server ${requirement.server}`;
  }
}

/** A few words for a table cell: "network (url)". */
export function shortRequirement(requirement: CapabilityRequirement): string {
  switch (requirement.kind) {
    case 'net':
      return `network (${requirement.arg})`;
    case 'fs:read':
      return `read files (${requirement.arg})`;
    case 'fs:write':
      return `write files (${requirement.arg})`;
    case 'env':
      return `environment (${requirement.arg})`;
    case 'clock':
      return 'clock';
    case 'memory':
      return `memory (${requirement.arg})`;
    case 'ipc':
      return `messages (${requirement.arg})`;
    case 'mcp':
      return `mcp:${requirement.server}/${requirement.tool}`;
  }
}

export const SIGNATURE_LABEL: Record<SignatureStatus, string> = {
  trusted: 'trusted',
  'untrusted-key': 'untrusted key',
  invalid: 'invalid',
  unsigned: 'unsigned',
};

/** What the signature status means for the user, in plain words. */
export function explainSignature(signature: SignatureStatus, publisher: string | null, keyId: string | null): string {
  switch (signature) {
    case 'trusted':
      return `Signed by ${publisher ?? 'its publisher'} with a key you trust (${keyId ?? 'unknown id'}): the files are as the publisher made them.`;
    case 'untrusted-key':
      return `Signed, but with a key you have not trusted (${keyId ?? 'unknown id'}). Anyone can make a key and call themselves ${publisher ?? 'anything'}: the name proves nothing.`;
    case 'invalid':
      return 'The signature does not match the files: they were changed after signing, or the signature is broken. Do not install it.';
    case 'unsigned':
      return 'Not signed: nothing says who made it, or that it was not changed on its way to you.';
  }
}

/** Whether installing needs the user's explicit "install anyway". */
export function needsUnsignedConsent(signature: SignatureStatus): boolean {
  return signature === 'unsigned' || signature === 'untrusted-key';
}

export function limitFacts(limits: ToolLimits): [string, string][] {
  return [
    ['Memory', `at most ${formatBytes(limits.memoryPages * WASM_PAGE_BYTES)}`],
    ['Time', `at most ${limits.timeMs >= 1000 ? `${limits.timeMs / 1000} s` : `${limits.timeMs} ms`} a call`],
    ['Output', `at most ${formatBytes(limits.outputBytes)} a call`],
  ];
}
