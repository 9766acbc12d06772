// Shared plumbing for the tool plugins: read the JSON input, write a JSON result.
// Every tool exports `run(): i32` and answers {"ok":true,"value":...} or {"ok":false,"error":"..."}.
import { Host } from '@extism/as-pdk';
export { toolAbort } from './abort';
import { JSON } from 'assemblyscript-json/assembly';

export { JSON };

export function input(): JSON.Obj {
  const value = JSON.parse(Host.inputString());
  if (!value.isObj) return new JSON.Obj();
  return value as JSON.Obj;
}

const HEX = '0123456789abcdef';

/** A JSON string literal. (The JSON library escapes control characters wrongly, so strings are quoted here.) */
export function quote(text: string): string {
  const codes = new Array<i32>();
  codes.push(0x22);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c == 0x22 || c == 0x5c) {
      codes.push(0x5c);
      codes.push(c);
    } else if (c == 0x0a) {
      codes.push(0x5c);
      codes.push(0x6e);
    } else if (c == 0x0d) {
      codes.push(0x5c);
      codes.push(0x72);
    } else if (c == 0x09) {
      codes.push(0x5c);
      codes.push(0x74);
    } else if (c < 0x20) {
      codes.push(0x5c);
      codes.push(0x75);
      codes.push(0x30);
      codes.push(0x30);
      codes.push(HEX.charCodeAt(c >> 4));
      codes.push(HEX.charCodeAt(c & 15));
    } else codes.push(c);
  }
  codes.push(0x22);
  return String.fromCharCodes(codes);
}

/** Serializes a JSON value with correct string escaping. */
export function toJson(value: JSON.Value): string {
  if (value.isString) return quote((value as JSON.Str).valueOf());
  if (value.isObj) {
    const object = value as JSON.Obj;
    const keys = object.keys;
    const parts = new Array<string>(keys.length);
    for (let i = 0; i < keys.length; i++) parts[i] = quote(keys[i]) + ':' + toJson(object.get(keys[i])!);
    return '{' + parts.join(',') + '}';
  }
  if (value.isArr) {
    const items = (value as JSON.Arr).valueOf();
    const parts = new Array<string>(items.length);
    for (let i = 0; i < items.length; i++) parts[i] = toJson(items[i]);
    return '[' + parts.join(',') + ']';
  }
  return value.stringify();
}

function write(text: string): void {
  // The PDK's outputString counts UTF-16 units as bytes; encode first.
  Host.output(Uint8Array.wrap(String.UTF8.encode(text)));
}

export function ok(value: JSON.Value): i32 {
  write('{"ok":true,"value":' + toJson(value) + '}');
  return 0;
}

export function fail(message: string): i32 {
  write('{"ok":false,"error":' + quote(message) + '}');
  return 0;
}

export function str(args: JSON.Obj, key: string): string | null {
  const value = args.getString(key);
  return value == null ? null : value.valueOf();
}

export function num(args: JSON.Obj, key: string, fallback: f64): f64 {
  const value = args.get(key);
  if (value == null) return fallback;
  if (value.isInteger) return <f64>(value as JSON.Integer).valueOf();
  if (value.isFloat || value.isNum) return (value as JSON.Num).valueOf();
  return fallback;
}

export function obj(): JSON.Obj {
  return new JSON.Obj();
}

export function numberValue(x: f64): JSON.Value {
  // Whole numbers print without a fraction, so 84 reads as 84, not 84.0.
  if (Math.floor(x) == x && Math.abs(x) < 9007199254740992.0) return JSON.from<i64>(<i64>x);
  return JSON.from<f64>(x);
}

/** Passes a kernel reply ({"ok":...}) through as this tool's result. */
export function relay(reply: JSON.Obj): i32 {
  write(toJson(reply));
  return 0;
}
