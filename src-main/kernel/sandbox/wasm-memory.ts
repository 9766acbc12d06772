/** Memory limits a Wasm module declares, read from its binary (memory and import sections). */
export interface MemoryLimits {
  initialPages: number;
  maximumPages: number | null;
}

function readLeb(bytes: Uint8Array, at: { offset: number }): number {
  let result = 0;
  let shift = 0;
  for (;;) {
    const byte = bytes[at.offset++];
    if (byte === undefined) throw new Error('truncated LEB128');
    result += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return result;
    shift += 7;
  }
}

function readLimits(bytes: Uint8Array, at: { offset: number }): MemoryLimits {
  const flags = bytes[at.offset++]!;
  const initialPages = readLeb(bytes, at);
  const maximumPages = flags & 0x01 ? readLeb(bytes, at) : null;
  return { initialPages, maximumPages };
}

/** Every memory the module defines or imports, so the kernel can refuse unbounded ones. */
export function declaredMemories(bytes: Uint8Array): MemoryLimits[] {
  if (bytes.length < 8 || bytes[0] !== 0x00 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new Error('not a WebAssembly module');
  }
  const memories: MemoryLimits[] = [];
  const at = { offset: 8 };
  while (at.offset < bytes.length) {
    const id = bytes[at.offset++]!;
    const size = readLeb(bytes, at);
    const end = at.offset + size;
    if (id === 5) {
      const count = readLeb(bytes, at);
      for (let i = 0; i < count; i++) memories.push(readLimits(bytes, at));
    } else if (id === 2) {
      const count = readLeb(bytes, at);
      for (let i = 0; i < count; i++) {
        // module name, then field name: each a length and that many bytes
        for (let part = 0; part < 2; part++) {
          const length = readLeb(bytes, at);
          at.offset += length;
        }
        const kind = bytes[at.offset++]!;
        if (kind === 0x00) readLeb(bytes, at);
        else if (kind === 0x01) {
          at.offset++;
          readLimits(bytes, at);
        } else if (kind === 0x02) memories.push(readLimits(bytes, at));
        else if (kind === 0x03) at.offset += 2;
        else if (kind === 0x04) {
          at.offset++;
          readLeb(bytes, at);
        }
      }
    }
    at.offset = end;
  }
  return memories;
}
