import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { formatNetCapability } from '../../../src-shared/index.js';
import { KernelError } from '../core/kernel-error.js';

/** Resolves a name to all its addresses (dns.lookup's shape); replaceable to test what a name resolves to. */
export type Resolver = (host: string) => Promise<LookupAddress[]>;

export const systemResolver: Resolver = (host) =>
  new Promise((resolve, reject) => dnsLookup(host, { all: true, verbatim: true }, (error, addresses) => (error ? reject(error) : resolve(addresses))));

function v4Number(address: string): number {
  return address.split('.').reduce((value, part) => value * 256 + Number(part), 0);
}

const V4_SPECIAL: [string, number, string][] = [
  ['0.0.0.0', 8, 'unspecified'],
  ['127.0.0.0', 8, 'loopback'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'private (shared)'],
  ['172.16.0.0', 12, 'private'],
  ['192.168.0.0', 16, 'private'],
  ['169.254.0.0', 16, 'link-local'],
  ['192.0.0.0', 24, 'reserved'],
  ['198.18.0.0', 15, 'reserved'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];

function v4Class(address: string): string | null {
  const value = v4Number(address);
  for (const [base, bits, name] of V4_SPECIAL) {
    const size = 2 ** (32 - bits);
    if (Math.floor(value / size) === Math.floor(v4Number(base) / size)) return name;
  }
  return null;
}

/** The eight 16-bit groups of an IPv6 address (the address is valid: net.isIP said so). */
function v6Groups(address: string): number[] {
  let text = address.toLowerCase().split('%')[0]!;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const value = v4Number(dotted[1]!);
    text = text.slice(0, -dotted[1]!.length) + `${(value >>> 16).toString(16)}:${(value & 0xffff).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const middle = tail === undefined ? [] : new Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...middle, ...right].map((group) => parseInt(group, 16));
}

function embeddedV4(groups: number[]): string {
  const [high, low] = [groups[6]!, groups[7]!];
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

function v6Class(address: string): string | null {
  const groups = v6Groups(address);
  const zeroUpTo = (count: number): boolean => groups.slice(0, count).every((group) => group === 0);
  if (zeroUpTo(8)) return 'unspecified';
  if (zeroUpTo(7) && groups[7] === 1) return 'loopback';
  // Addresses that carry an IPv4 address reach it: v4-mapped, v4-compatible, NAT64.
  if (zeroUpTo(5) && (groups[5] === 0xffff || groups[5] === 0)) return v4Class(embeddedV4(groups));
  if (groups[0] === 0x64 && groups[1] === 0xff9b && groups.slice(2, 6).every((group) => group === 0)) return v4Class(embeddedV4(groups));
  if (groups[0] === 0x2002) return v4Class([groups[1]! >> 8, groups[1]! & 255, groups[2]! >> 8, groups[2]! & 255].join('.'));
  if ((groups[0]! & 0xffc0) === 0xfe80) return 'link-local';
  if ((groups[0]! & 0xffc0) === 0xfec0) return 'private (site-local)';
  if ((groups[0]! & 0xfe00) === 0xfc00) return 'unique-local';
  if ((groups[0]! & 0xff00) === 0xff00) return 'multicast';
  return null;
}

/**
 * What kind of special address this is (loopback, link-local, private, unique-local, unspecified,
 * multicast, reserved; IPv4 carried in IPv6 counts as its IPv4), or null for a public address.
 */
export function specialAddressClass(address: string): string | null {
  const family = isIP(address);
  if (family === 4) return v4Class(address);
  if (family === 6) return v6Class(address);
  return 'not an address';
}

/**
 * The address to connect to for a granted host. A name must resolve to a public address: a
 * granted name is no permission to reach this machine, the local network or the cloud metadata
 * service, whatever its DNS says; those are reached only by a grant (and a URL) naming the
 * address itself. The address returned is the one the connection uses (no second lookup).
 */
export async function checkedAddress(host: string, port: number, resolver: Resolver): Promise<LookupAddress> {
  const literal = isIP(host);
  if (literal) return { address: host, family: literal };
  let addresses: LookupAddress[];
  try {
    addresses = await resolver(host);
  } catch (error) {
    throw new KernelError('TOOL_FAILED', `${host} could not be resolved: ${(error as Error).message}`);
  }
  const usable = addresses.find((candidate) => specialAddressClass(candidate.address) === null);
  if (usable) return usable;
  const first = addresses[0];
  if (!first) throw new KernelError('TOOL_FAILED', `${host} resolved to no address`);
  throw new KernelError(
    'CAPABILITY_DENIED',
    `${host} resolves to ${first.address}, a ${specialAddressClass(first.address)} address: a grant naming a host does not reach such addresses; ` +
      `grant ${formatNetCapability(first.address, port)} and use the address in the URL`,
    { address: first.address },
  );
}

/** A lookup that answers only the checked address, so the connection goes where the check looked. */
function pinned(target: LookupAddress): LookupFunction {
  return (_host, options, callback) => {
    if ((options as { all?: boolean }).all) (callback as unknown as (error: null, addresses: LookupAddress[]) => void)(null, [target]);
    else callback(null, target.address, target.family);
  };
}

export interface PinnedRequest {
  url: URL;
  address: LookupAddress;
  method: 'GET' | 'POST';
  body?: string;
  contentType?: string;
  signal: AbortSignal;
}

/** Sends one request to the checked address; the caller reads (and caps) the response. */
export function sendPinned(options: PinnedRequest): Promise<IncomingMessage> {
  const send = options.url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const request = send(options.url, {
      method: options.method,
      lookup: pinned(options.address),
      agent: false,
      signal: options.signal,
      ...(options.method === 'POST' ? { headers: { 'content-type': options.contentType ?? 'application/json' } } : {}),
    });
    request.on('error', reject);
    request.on('response', (response) => {
      response.on('error', () => {});
      resolve(response);
    });
    request.end(options.method === 'POST' ? (options.body ?? '') : undefined);
  });
}

/** Reads at most `maxBytes` of a response body, then stops reading and closes it. */
export async function readCapped(response: IncomingMessage, maxBytes: number): Promise<{ text: string; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  for await (const chunk of response) {
    chunks.push(chunk as Buffer);
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      truncated = true;
      break;
    }
  }
  response.destroy();
  return { text: Buffer.concat(chunks).subarray(0, maxBytes).toString('utf8'), truncated };
}
