// json_query: reads values out of a JSON document by path: a.b[0].c, items[*].name, or "keys(a.b)".
import { JSON, fail, input, obj, ok, str } from '../../lib/io';

class Query {
  error: string = '';
}

function step(values: JSON.Value[], segment: string, query: Query): JSON.Value[] {
  const out = new Array<JSON.Value>();
  for (let v = 0; v < values.length; v++) {
    const value = values[v];
    if (segment.startsWith('[')) {
      if (!value.isArr) continue;
      const items = (value as JSON.Arr).valueOf();
      const inner = segment.substring(1, segment.length - 1);
      if (inner == '*') {
        for (let i = 0; i < items.length; i++) out.push(items[i]);
      } else {
        const index = I32.parseInt(inner);
        if (isNaN(<f64>index) || inner.length == 0) {
          query.error = 'bad index "' + inner + '"';
          return out;
        }
        const at = index < 0 ? items.length + index : index;
        if (at >= 0 && at < items.length) out.push(items[at]);
      }
    } else if (value.isObj) {
      const found = (value as JSON.Obj).get(segment);
      if (found != null) out.push(found);
    }
  }
  return out;
}

function segments(path: string): string[] {
  const parts = new Array<string>();
  let current = '';
  for (let i = 0; i < path.length; i++) {
    const c = path.charAt(i);
    if (c == '.') {
      if (current.length > 0) parts.push(current);
      current = '';
    } else if (c == '[') {
      if (current.length > 0) parts.push(current);
      const end = path.indexOf(']', i);
      if (end < 0) return [];
      parts.push(path.substring(i, end + 1));
      i = end;
      current = '';
    } else current += c;
  }
  if (current.length > 0) parts.push(current);
  return parts;
}

export function run(): i32 {
  const args = input();
  const document = str(args, 'json');
  const pathArg = str(args, 'path');
  if (document == null || pathArg == null) return fail('json and path are required');
  let path = pathArg.trim();
  let wantKeys = false;
  if (path.startsWith('keys(') && path.endsWith(')')) {
    wantKeys = true;
    path = path.substring(5, path.length - 1);
  }
  const root = JSON.parse(document);
  const parts = segments(path);
  if (parts.length == 0 && path.length > 0) return fail('bad path "' + pathArg + '"');
  let values = new Array<JSON.Value>();
  values.push(root);
  const query = new Query();
  for (let i = 0; i < parts.length; i++) {
    values = step(values, parts[i], query);
    if (query.error != '') return fail(query.error);
  }
  const out = obj();
  if (wantKeys) {
    const keys = JSON.Value.Array();
    for (let v = 0; v < values.length; v++) {
      if (!values[v].isObj) continue;
      const names = (values[v] as JSON.Obj).keys;
      for (let k = 0; k < names.length; k++) keys.push(JSON.from<string>(names[k]));
    }
    out.set('value', keys);
  } else if (path.includes('*')) {
    const all = JSON.Value.Array();
    for (let v = 0; v < values.length; v++) all.push(values[v]);
    out.set('value', all);
  } else {
    out.set('value', values.length > 0 ? values[0] : JSON.Value.Null());
  }
  out.set('found', JSON.from<bool>(values.length > 0));
  return ok(out);
}
