import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { fuzzParameters } from '../../hostile/fuzz-settings.js';
import { buildTar, buildTarGz, buildZip } from '../../test-support/tool-packages.js';
import { readArchive } from './package-source.js';
import { gunzipPackage, readTar } from './tar-reader.js';
import { readZip } from './zip-reader.js';

const MANIFEST = Buffer.from('{"name":"x"}');
const WASM = Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
const refused = (message: RegExp) => ({ code: 'INVALID_REQUEST', message: expect.stringMatching(message) as unknown });

describe('tar reader', () => {
  it('reads a package at the root or in one top folder', async () => {
    const files = await readArchive(buildTarGz([{ name: './', type: '5' }, { name: './tool.json', data: MANIFEST }, { name: './plugin.wasm', data: WASM }]));
    expect(files).toEqual({ toolJson: MANIFEST, wasm: WASM, sig: null });
    const nested = await readArchive(buildTarGz([{ name: 'pkg/', type: '5' }, { name: 'pkg/tool.json', data: MANIFEST }, { name: 'pkg/plugin.wasm', data: WASM }, { name: 'pkg/README', data: Buffer.from('hi') }]));
    expect(nested.wasm).toEqual(WASM);
  });

  it('refuses traversal, absolute paths, links, devices and duplicates', () => {
    expect(() => readTar(buildTar([{ name: '../tool.json', data: MANIFEST }]))).toThrow(expect.objectContaining(refused(/climbs out/)));
    expect(() => readTar(buildTar([{ name: 'a/../../etc/passwd', data: MANIFEST }]))).toThrow(expect.objectContaining(refused(/climbs out/)));
    expect(() => readTar(buildTar([{ name: '/etc/passwd', data: MANIFEST }]))).toThrow(expect.objectContaining(refused(/absolute path/)));
    expect(() => readTar(buildTar([{ name: 'plugin.wasm', type: '2' }]))).toThrow(expect.objectContaining(refused(/is a link/)));
    expect(() => readTar(buildTar([{ name: 'plugin.wasm', type: '1' }]))).toThrow(expect.objectContaining(refused(/is a link/)));
    expect(() => readTar(buildTar([{ name: 'null', type: '3' }]))).toThrow(expect.objectContaining(refused(/device or FIFO/)));
    expect(() => readTar(buildTar([{ name: 'tool.json', data: MANIFEST }, { name: './tool.json', data: MANIFEST }]))).toThrow(expect.objectContaining(refused(/appears twice/)));
  });

  it('refuses too many entries, a file over its cap, and truncated archives', () => {
    const many = Array.from({ length: 17 }, (_, i) => ({ name: `f${i}`, data: Buffer.from('x') }));
    expect(() => readTar(buildTar(many))).toThrow(expect.objectContaining(refused(/more than 16 entries/)));
    expect(() => readTar(buildTar([{ name: 'tool.json', data: Buffer.alloc(64 * 1024 + 1, 0x20) }]))).toThrow(expect.objectContaining(refused(/over its cap/)));
    const whole = buildTar([{ name: 'tool.json', data: MANIFEST }, { name: 'plugin.wasm', data: WASM }]);
    expect(() => readTar(whole.subarray(0, 700))).toThrow(expect.objectContaining(refused(/truncated/)));
    expect(() => readTar(buildTar([{ name: 'tool.json', data: MANIFEST }], false))).toThrow(expect.objectContaining(refused(/truncated/)));
    expect(() => readTar(buildTar([{ name: 'plugin.wasm', data: WASM, size: 5_000 }]))).toThrow(expect.objectContaining(refused(/truncated/)));
  });

  it('refuses a gzip bomb before and while inflating', async () => {
    const bomb = gzipSync(Buffer.alloc(48 * 1024 * 1024));
    await expect(gunzipPackage(bomb)).rejects.toMatchObject(refused(/announces|bomb/));
    // The trailer lies (announces little): the bound on inflating still holds.
    const lying = Buffer.from(bomb);
    lying.writeUInt32LE(1000, lying.length - 4);
    await expect(gunzipPackage(lying)).rejects.toMatchObject(refused(/bomb|not valid gzip/));
    await expect(readArchive(gzipSync(buildTar([{ name: 'tool.json', data: MANIFEST }])).subarray(0, 30))).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
  });

  it('never fails any other way on mutated or random input (fuzz)', () => {
    const valid = buildTar([{ name: 'pkg/', type: '5' }, { name: 'pkg/tool.json', data: MANIFEST }, { name: 'pkg/plugin.wasm', data: WASM }]);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), fc.nat(valid.length), (flips, cut) => {
        const bytes = Buffer.from(valid.subarray(0, Math.max(cut, 512)));
        for (const [at, value] of flips) if (at < bytes.length) bytes[at] = value;
        try {
          const files = readTar(bytes);
          for (const [name, data] of files) {
            expect(name.split('/')).not.toContain('..');
            expect(data.length).toBeLessThanOrEqual(32 * 1024 * 1024);
          }
        } catch (error) {
          expect(error).toMatchObject({ code: 'INVALID_REQUEST' });
        }
      }),
      fuzzParameters(300),
    );
  });
});

describe('zip reader', () => {
  it('reads stored and deflated entries', async () => {
    const files = await readArchive(buildZip([{ name: 'tool.json', data: MANIFEST, method: 0 }, { name: 'plugin.wasm', data: WASM }, { name: 'plugin.sig', data: Buffer.from('{}') }]));
    expect(files).toEqual({ toolJson: MANIFEST, wasm: WASM, sig: Buffer.from('{}') });
  });

  it('refuses traversal, symlinks, duplicates, encryption and too many entries', async () => {
    await expect(readZip(buildZip([{ name: '../tool.json', data: MANIFEST }]))).rejects.toMatchObject(refused(/climbs out/));
    await expect(readZip(buildZip([{ name: 'C:/x/tool.json', data: MANIFEST }]))).rejects.toMatchObject(refused(/absolute path/));
    await expect(readZip(buildZip([{ name: 'plugin.wasm', data: Buffer.from('/etc/passwd'), mode: 0o120777 }]))).rejects.toMatchObject(refused(/symbolic link/));
    await expect(readZip(buildZip([{ name: 'tool.json', data: MANIFEST }, { name: 'tool.json', data: MANIFEST }]))).rejects.toMatchObject(refused(/appears twice/));
    await expect(readZip(buildZip([{ name: 'tool.json', data: MANIFEST, flags: 1 }]))).rejects.toMatchObject(refused(/encrypted/));
    const many = Array.from({ length: 17 }, (_, i) => ({ name: `f${i}`, data: Buffer.from('x') }));
    await expect(readZip(buildZip(many))).rejects.toMatchObject(refused(/more than 16 entries/));
  });

  it('refuses bombs: an absurd ratio, an entry inflating past what it announces, overlapping entries', async () => {
    await expect(readZip(buildZip([{ name: 'plugin.wasm', data: Buffer.alloc(8 * 1024 * 1024) }]))).rejects.toMatchObject(refused(/compression bomb/));
    await expect(readZip(buildZip([{ name: 'plugin.wasm', data: Buffer.alloc(64 * 1024), announcedSize: 100 }]))).rejects.toMatchObject(refused(/inflates past/));
    await expect(readZip(buildZip([{ name: 'plugin.wasm', data: randomBytes(1024 * 1024), announcedSize: 33 * 1024 * 1024 }]))).rejects.toMatchObject(refused(/over its cap/));
    // Two central entries pointing at the same local data.
    const zip = buildZip([{ name: 'a', data: WASM, method: 0 }, { name: 'b', data: WASM, method: 0 }]);
    const central = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    const second = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), central + 4);
    zip.writeUInt32LE(0, second + 42);
    await expect(readZip(zip)).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
  });

  it('refuses truncated and damaged archives', async () => {
    const zip = buildZip([{ name: 'tool.json', data: MANIFEST }, { name: 'plugin.wasm', data: WASM }]);
    await expect(readZip(zip.subarray(0, zip.length - 10))).rejects.toMatchObject(refused(/truncated/));
    await expect(readZip(zip.subarray(40))).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(readZip(buildZip([{ name: 'tool.json', data: MANIFEST, crc: 1234 }]))).rejects.toMatchObject(refused(/CRC/));
  });

  it('never fails any other way on mutated input (fuzz)', async () => {
    const valid = buildZip([{ name: 'pkg/', data: Buffer.alloc(0), method: 0 }, { name: 'pkg/tool.json', data: MANIFEST, method: 0 }, { name: 'pkg/plugin.wasm', data: WASM }]);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), fc.nat(valid.length), async (flips, cut) => {
        const bytes = Buffer.from(valid.subarray(0, Math.max(cut, 1)));
        for (const [at, value] of flips) if (at < bytes.length) bytes[at] = value;
        try {
          const files = await readZip(bytes);
          for (const [name, data] of files) {
            expect(name.split('/')).not.toContain('..');
            expect(data.length).toBeLessThanOrEqual(32 * 1024 * 1024);
          }
        } catch (error) {
          expect(error).toMatchObject({ code: 'INVALID_REQUEST' });
        }
      }),
      fuzzParameters(300),
    );
  });
});
