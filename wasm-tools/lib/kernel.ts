// The only way out of the sandbox: host functions the kernel provides, each taking and returning
// a JSON document. The kernel checks every call against the capabilities granted for this call.
import { Memory } from '@extism/as-pdk';
import { length } from '@extism/as-pdk/lib/env';
import { JSON } from 'assemblyscript-json/assembly';
import { toJson } from './io';

@external('extism:host/user', 'kernel_http')
declare function kernel_http(request: u64): u64;
@external('extism:host/user', 'kernel_fs')
declare function kernel_fs(request: u64): u64;
@external('extism:host/user', 'kernel_clock')
declare function kernel_clock(request: u64): u64;
@external('extism:host/user', 'kernel_memory')
declare function kernel_memory(request: u64): u64;
@external('extism:host/user', 'kernel_ipc')
declare function kernel_ipc(request: u64): u64;
@external('extism:host/user', 'kernel_env')
declare function kernel_env(request: u64): u64;

const HTTP: i32 = 0;
const FS: i32 = 1;
const CLOCK: i32 = 2;
const MEMORY: i32 = 3;
const IPC: i32 = 4;
const ENV: i32 = 5;

function roundTrip(which: i32, request: string): JSON.Obj {
  const sent = Memory.allocateString(request);
  let offset: u64 = 0;
  if (which == HTTP) offset = kernel_http(sent.offset);
  else if (which == FS) offset = kernel_fs(sent.offset);
  else if (which == CLOCK) offset = kernel_clock(sent.offset);
  else if (which == MEMORY) offset = kernel_memory(sent.offset);
  else if (which == IPC) offset = kernel_ipc(sent.offset);
  else offset = kernel_env(sent.offset);
  sent.free();
  const reply = new Memory(offset, length(offset));
  const text = reply.toString();
  reply.free();
  const value = JSON.parse(text);
  return value.isObj ? (value as JSON.Obj) : new JSON.Obj();
}

export function http(request: JSON.Obj): JSON.Obj {
  return roundTrip(HTTP, toJson(request));
}

export function fs(request: JSON.Obj): JSON.Obj {
  return roundTrip(FS, toJson(request));
}

export function clock(): JSON.Obj {
  return roundTrip(CLOCK, '{}');
}

export function memory(request: JSON.Obj): JSON.Obj {
  return roundTrip(MEMORY, toJson(request));
}


export function ipc(request: JSON.Obj): JSON.Obj {
  return roundTrip(IPC, toJson(request));
}

export function env(request: JSON.Obj): JSON.Obj {
  return roundTrip(ENV, toJson(request));
}
