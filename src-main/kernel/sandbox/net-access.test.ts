import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCapability } from '../../../src-shared/index.js';
import { fuzzParameters } from '../../hostile/fuzz-settings.js';
import { covers, netCapabilityForUrl } from './capability-check.js';
import { checkedAddress, specialAddressClass } from './net-access.js';

describe('address classes', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private (shared)'],
    ['169.254.169.254', 'link-local'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['fe80::1', 'link-local'],
    ['fd00::1', 'unique-local'],
    ['fc12:3456::1', 'unique-local'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:a9fe:a9fe', 'link-local'],
    ['64:ff9b::a9fe:a9fe', 'link-local'],
    ['2002:7f00:1::', 'loopback'],
  ])('%s is %s', (address, kind) => {
    expect(specialAddressClass(address)).toBe(kind);
  });

  it.each(['93.184.216.34', '172.32.0.1', '8.8.8.8', '2606:4700::1111', '::ffff:8.8.8.8'])('%s is public', (address) => {
    expect(specialAddressClass(address)).toBeNull();
  });

  it('an IPv4 address carried in IPv6 (mapped, in any spelling) is classed as the IPv4 address', () => {
    fc.assert(
      fc.property(fc.ipV4(), (v4) => {
        const [a, b, c, d] = v4.split('.').map(Number) as [number, number, number, number];
        const hex = `::ffff:${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
        expect(specialAddressClass(`::ffff:${v4}`)).toBe(specialAddressClass(v4));
        expect(specialAddressClass(hex)).toBe(specialAddressClass(v4));
      }),
      fuzzParameters(200),
    );
  });
});

describe('checkedAddress', () => {
  const resolver = (addresses: string[]) => () => Promise.resolve(addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));

  it('refuses a name that resolves only to special addresses, naming the grant that would reach it', async () => {
    await expect(checkedAddress('metadata.example', 80, resolver(['169.254.169.254']))).rejects.toMatchObject({
      code: 'CAPABILITY_DENIED',
      message: expect.stringMatching(/metadata\.example resolves to 169\.254\.169\.254, a link-local address.*net:169\.254\.169\.254:80/),
    });
    await expect(checkedAddress('six.example', 8080, resolver(['::1']))).rejects.toMatchObject({ message: expect.stringContaining('net:[::1]:8080') });
  });

  it('connects to a public address of the name, and to a literal address as named', async () => {
    expect(await checkedAddress('mixed.example', 443, resolver(['127.0.0.1', '93.184.216.34']))).toEqual({ address: '93.184.216.34', family: 4 });
    expect(await checkedAddress('127.0.0.1', 8080, resolver([]))).toEqual({ address: '127.0.0.1', family: 4 });
  });
});

describe('net capabilities name hosts and addresses canonically', () => {
  const parsed = (text: string) => {
    const capability = parseCapability(text);
    if (typeof capability === 'string') throw new Error(capability);
    return capability;
  };

  it('an IPv6 address is written in brackets and compared in its canonical spelling', () => {
    expect(parsed('net:[0:0::1]:8080')).toEqual({ kind: 'net', host: '::1', port: 8080 });
    expect(netCapabilityForUrl('http://[0::1]:8080/x').capability).toBe('net:[::1]:8080');
    expect(covers(parsed('net:[::1]:8080'), netCapabilityForUrl('http://[0:0:0:0:0:0:0:1]:8080/').parsed)).toBe(true);
    expect(typeof parseCapability('net:::1:8080')).toBe('string');
  });

  it('a wildcard covers subdomains, never addresses', () => {
    expect(covers(parsed('net:*.0.0.1'), netCapabilityForUrl('http://127.0.0.1/').parsed)).toBe(false);
    expect(covers(parsed('net:*.example.com'), netCapabilityForUrl('https://api.example.com/').parsed)).toBe(true);
  });
});
