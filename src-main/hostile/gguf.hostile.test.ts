import { closeSync, existsSync, ftruncateSync, openSync, readdirSync, writeFileSync, writeSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KernelError } from '../kernel/core/kernel-error.js';
import { bufferSource, GGUF_LIMITS, parseGgufHeader } from '../kernel/llm/gguf-header.js';
import { describeModelFile } from '../kernel/llm/index.js';
import { downloadModel } from '../kernel/models/index.js';
import { bootTestKernel, tempDir, testModelPath } from '../test-support/fixtures.js';
import { GGUF_TYPE, GgufBytes, hostileGgufHeaders, smallValidGguf } from '../test-support/gguf-bytes.js';
import { expectNoUncaughtExceptions } from './no-uncaught.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

// These attacks must be refused by the boundary itself, never by the last-resort handler.
expectNoUncaughtExceptions();

async function refusal(bytes: Buffer): Promise<KernelError> {
  const error: unknown = await parseGgufHeader(bufferSource(bytes)).then(
    () => null,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(KernelError);
  expect((error as KernelError).code).toBe('MODEL_INVALID');
  return error as KernelError;
}

const hostile = hostileGgufHeaders();

describe('the GGUF header parser refuses lying headers before it allocates', () => {
  it.each(Object.entries(hostile))('%s', async (_name, bytes) => {
    const error = await refusal(bytes);
    expect(error.message).toMatch(/^its GGUF header /);
    // The next, valid header still parses.
    expect((await parseGgufHeader(bufferSource(smallValidGguf()))).architecture).toBe('llama');
  });

  it('names the limit a count is over', async () => {
    expect((await refusal(hostile['2^50 tensors']!)).message).toContain(`claims ${2n ** 50n} tensors, over the limit of ${GGUF_LIMITS.tensors}`);
    expect((await refusal(hostile['more tensors than the file can hold']!)).message).toMatch(/claims 100000 tensors, which cannot fit in the \d+ bytes left in the file/);
    expect((await refusal(hostile['arrays nested three deep']!)).message).toContain('nests arrays deeper than 2');
  });

  it('reads a small valid header, and refuses it cut at every byte', async () => {
    const whole = smallValidGguf();
    const header = await parseGgufHeader(bufferSource(whole));
    expect(header).toMatchObject({ version: 3, tensorCount: 2, metadataCount: 5, architecture: 'llama', name: 'hostile-test', fileType: 0, alignment: 32 });
    expect(header.tensorDataEnd).toBe(BigInt(whole.length));
    for (let length = 0; length < header.headerBytes; length++) {
      const error = await refusal(whole.subarray(0, length));
      expect(error.message).toMatch(length < 4 ? /is cut off/ : /is cut off|cannot fit/);
    }
  });

  it('refuses a header past the size limit without reading it (a sparse file of 80 MiB)', async () => {
    const scratch = tempDir();
    cleanups.push(scratch.dispose);
    const path = join(scratch.path, 'huge-header.gguf');
    const strings = 5;
    const start = new GgufBytes().start(0, strings + 1).stringEntry('general.architecture', 'llama').bytes();
    const fd = openSync(path, 'w');
    writeSync(fd, start, 0, start.length, 0);
    let at = start.length;
    // Five 15 MiB strings of zero bytes: each within the string limit, together past the header limit.
    for (let index = 0; index < strings; index++) {
      const entry = new GgufBytes().string(`k${index}`).u32(GGUF_TYPE.STRING).u64(15 * 1024 * 1024).bytes();
      writeSync(fd, entry, 0, entry.length, at);
      at += entry.length + 15 * 1024 * 1024;
    }
    ftruncateSync(fd, at + 1024);
    closeSync(fd);
    await expect(describeModelFile(path)).rejects.toMatchObject({ code: 'MODEL_INVALID', message: expect.stringContaining('past the 64 MiB limit') });
  });

  it('through describeModelFile: every cut of a small model file is refused, the whole one accepted', async () => {
    const scratch = tempDir();
    cleanups.push(scratch.dispose);
    const whole = smallValidGguf();
    const path = join(scratch.path, 'small.gguf');
    for (let length = 0; length < whole.length; length++) {
      writeFileSync(path, whole.subarray(0, length));
      await expect(describeModelFile(path)).rejects.toMatchObject({ code: 'MODEL_INVALID', message: expect.stringMatching(/small\.gguf is (cut off|damaged)|not a GGUF/) });
    }
    writeFileSync(path, whole);
    expect(await describeModelFile(path)).toMatchObject({ architecture: 'llama', displayName: 'hostile-test', quantization: 'F32' });
    expect((await describeModelFile(testModelPath())).architecture).toBe('llama');
  });
});

describe('hostile GGUFs through the kernel', () => {
  it('an import of a lying header is refused with the reason; the next import works', async () => {
    const data = tempDir();
    cleanups.push(data.dispose);
    const kernel = await bootTestKernel(data.path, { modelPath: null });
    cleanups.push(() => kernel.dispose());
    for (const [name, bytes] of Object.entries(hostile)) {
      const path = join(data.path, `${name.replace(/[^\w]+/g, '-')}.gguf`);
      writeFileSync(path, bytes);
      await expect(kernel.models.import(path)).rejects.toMatchObject({ code: 'MODEL_INVALID', message: expect.stringContaining('its GGUF header') });
    }
    const good = join(data.path, 'good.gguf');
    writeFileSync(good, smallValidGguf());
    expect(await kernel.models.import(good)).toMatchObject({ file: 'good.gguf' });
    expect(readdirSync(kernel.models.manager.directory)).toEqual(['good.gguf']);
  });

  it('a download whose header lies is refused and removed', async () => {
    const scratch = tempDir();
    cleanups.push(scratch.dispose);
    let body = hostile['2^64-1 metadata keys']!;
    const http = createServer((_request, response) => void response.writeHead(200, { 'content-length': String(body.length) }).end(body));
    http.on('clientError', (_error, socket) => socket.destroy());
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', () => resolve()));
    cleanups.push(() => new Promise<void>((resolve) => http.close(() => resolve())));
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/model.gguf`;
    const target = join(scratch.path, 'lying.gguf');
    await expect(downloadModel({ id: 'lying', url, target, sha256: null, retries: 0 })).rejects.toMatchObject({ code: 'MODEL_INVALID', message: expect.stringContaining('metadata keys') });
    expect(existsSync(target) || existsSync(`${target}.partial`)).toBe(false);
    body = smallValidGguf();
    expect((await downloadModel({ id: 'good', url, target, sha256: null })).path).toBe(target);
  });
});
