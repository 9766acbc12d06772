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
    // A u32 takes at most 5 bytes; a longer run is a malformed (or hostile) module.
    if (shift >= 35) throw new Error('LEB128 longer than 5 bytes');
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

/** One function, memory, table or global a module imports, as the module names it. */
export interface WasmImport {
  module: string;
  name: string;
  kind: 'function' | 'table' | 'memory' | 'global' | 'tag';
}

/** Parsing limits: a module is refused before the kernel reads more than this from it. */
const MAX_IMPORTS = 512;
const MAX_NAME_BYTES = 256;
const KINDS = ['function', 'table', 'memory', 'global', 'tag'] as const;

function readName(bytes: Uint8Array, at: { offset: number }): string {
  const length = readLeb(bytes, at);
  if (length > MAX_NAME_BYTES) throw new Error(`an import name of ${length} bytes (the limit is ${MAX_NAME_BYTES})`);
  if (at.offset + length > bytes.length) throw new Error('truncated import name');
  const name = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(at.offset, at.offset + length));
  at.offset += length;
  return name;
}

/**
 * Every import the module declares (its import section), read before the module is compiled, so
 * the kernel can refuse one it does not provide (WASI, `env`, a host function of another runtime)
 * with the import's name instead of a worker failing to instantiate it.
 */
export function declaredImports(bytes: Uint8Array): WasmImport[] {
  if (bytes.length < 8 || bytes[0] !== 0x00 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new Error('not a WebAssembly module');
  }
  const imports: WasmImport[] = [];
  const at = { offset: 8 };
  while (at.offset < bytes.length) {
    const id = bytes[at.offset++]!;
    const size = readLeb(bytes, at);
    const end = at.offset + size;
    if (end > bytes.length) throw new Error('a section runs past the end of the module');
    if (id === 2) {
      const count = readLeb(bytes, at);
      if (count > MAX_IMPORTS) throw new Error(`${count} imports (the limit is ${MAX_IMPORTS})`);
      for (let i = 0; i < count; i++) {
        const module = readName(bytes, at);
        const name = readName(bytes, at);
        const kind = bytes[at.offset++];
        if (kind === undefined || kind >= KINDS.length) throw new Error(`import "${module}" "${name}" has an unknown kind`);
        imports.push({ module, name, kind: KINDS[kind]! });
        // Skip the rest of the entry: a type index, limits, or a global's type and mutability.
        if (kind === 0x00 || kind === 0x04) {
          if (kind === 0x04) at.offset++;
          readLeb(bytes, at);
        } else if (kind === 0x01) {
          at.offset++;
          readLimits(bytes, at);
        } else if (kind === 0x02) readLimits(bytes, at);
        else at.offset += 2;
        if (at.offset > end) throw new Error('the import section is truncated');
      }
      return imports;
    }
    at.offset = end;
  }
  return imports;
}
