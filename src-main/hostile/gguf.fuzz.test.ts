import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KernelError } from '../kernel/core/kernel-error.js';
import { bufferSource, parseGgufHeader } from '../kernel/llm/gguf-header.js';
import { smallValidGguf } from '../test-support/gguf-bytes.js';
import { fuzzParameters } from './fuzz-settings.js';

const VALID = smallValidGguf();

/** Either a header or a MODEL_INVALID KernelError: never a RangeError, a TypeError or an allocation failure. */
async function parsesOrRefuses(bytes: Uint8Array): Promise<void> {
  try {
    const header = await parseGgufHeader(bufferSource(bytes));
    expect(header.headerBytes).toBeLessThanOrEqual(bytes.length);
    expect(header.dataOffset % header.alignment).toBe(0);
  } catch (error) {
    if (!(error instanceof KernelError)) throw error;
    expect(error.code).toBe('MODEL_INVALID');
    expect(error.message).toMatch(/^its GGUF header /);
  }
}

describe('fuzzing the GGUF header parser', () => {
  it('arbitrary bytes', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), parsesOrRefuses), fuzzParameters(300));
  });

  it('arbitrary bytes after a valid magic and version', async () => {
    const prefix = Buffer.from('GGUF\x03\x00\x00\x00', 'latin1');
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), (rest) => parsesOrRefuses(Buffer.concat([prefix, rest]))),
      fuzzParameters(300),
    );
  });

  it('a valid header with bytes changed', async () => {
    const mutation = fc.array(fc.tuple(fc.nat({ max: VALID.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 });
    await fc.assert(
      fc.asyncProperty(mutation, async (changes) => {
        const bytes = Buffer.from(VALID);
        for (const [index, value] of changes) bytes[index] = value;
        await parsesOrRefuses(bytes);
      }),
      fuzzParameters(300),
    );
  });

  it('a valid header with a count or a length replaced by any 64-bit number', async () => {
    // Every 8 bytes at any offset: this lands on the tensor and key counts, string and array lengths, dimensions and offsets.
    const replacement = fc.tuple(fc.nat({ max: VALID.length - 8 }), fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.constantFrom(0n, 1n, 2n ** 31n, 2n ** 32n, 2n ** 50n, 2n ** 63n, 2n ** 64n - 1n)));
    await fc.assert(
      fc.asyncProperty(replacement, fc.boolean(), async ([offset, value], truncate) => {
        const bytes = Buffer.from(VALID);
        bytes.writeBigUInt64LE(value, offset);
        await parsesOrRefuses(truncate ? bytes.subarray(0, offset + 8) : bytes);
      }),
      fuzzParameters(300),
    );
  });
});
