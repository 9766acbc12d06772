#!/usr/bin/env node
// Rewrites a Wasm module's memory section so that every memory it defines declares a maximum.
// The Go toolchain declares none (its runtime grows memory as the heap needs), and the kernel
// refuses a plugin whose memory is unbounded or may grow past its tool's `limits.memoryPages`;
// with the maximum in the module itself, the engine enforces the bound (memory.grow fails, and
// Go's runtime stops with "out of memory") whatever the plugin does.
//
//   node set-memory-max.mjs IN.wasm OUT.wasm PAGES
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

function readLeb(bytes, at) {
  let result = 0;
  let shift = 0;
  for (;;) {
    const byte = bytes[at.offset++];
    if (byte === undefined) throw new Error('truncated LEB128');
    result += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return result;
    shift += 7;
    if (shift >= 35) throw new Error('LEB128 longer than 5 bytes');
  }
}

function leb(value) {
  const out = [];
  do {
    let byte = value & 0x7f;
    value = Math.floor(value / 128);
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}

/** The module with each defined memory's maximum set to `pages`; throws if one needs more to start. */
export function setMemoryMaximum(bytes, pages) {
  if (!Number.isSafeInteger(pages) || pages < 1 || pages > 65536) throw new Error(`memory pages must be 1 to 65536, not ${pages}`);
  if (bytes.length < 8 || bytes[0] !== 0x00 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) throw new Error('not a WebAssembly module');
  const parts = [bytes.subarray(0, 8)];
  const at = { offset: 8 };
  let memories = 0;
  while (at.offset < bytes.length) {
    const start = at.offset;
    const id = bytes[at.offset++];
    const size = readLeb(bytes, at);
    const end = at.offset + size;
    if (end > bytes.length) throw new Error('a section runs past the end of the module');
    if (id !== 5) {
      parts.push(bytes.subarray(start, end));
      at.offset = end;
      continue;
    }
    const count = readLeb(bytes, at);
    const body = [...leb(count)];
    for (let i = 0; i < count; i++) {
      const flags = bytes[at.offset++];
      if (flags & ~0x01) throw new Error(`memory ${i} has flags 0x${flags.toString(16)} (shared or 64-bit), which the kernel does not run`);
      const initial = readLeb(bytes, at);
      if (flags & 0x01) readLeb(bytes, at);
      if (initial > pages) throw new Error(`memory ${i} starts at ${initial} pages, over the ${pages} the tool allows: raise limits.memoryPages`);
      body.push(0x01, ...leb(initial), ...leb(pages));
      memories++;
    }
    if (at.offset !== end) throw new Error('the memory section has trailing bytes');
    parts.push(Uint8Array.from([5, ...leb(body.length), ...body]));
    at.offset = end;
  }
  if (memories === 0) throw new Error('the module defines no memory');
  const out = new Uint8Array(parts.reduce((total, part) => total + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [input, output, pages] = process.argv.slice(2);
  if (!input || !output || !pages) {
    console.error('usage: node set-memory-max.mjs IN.wasm OUT.wasm PAGES');
    process.exit(2);
  }
  writeFileSync(output, setMemoryMaximum(readFileSync(input), Number(pages)));
}
