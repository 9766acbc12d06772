// file_search: finds lines containing a text in the files of a granted folder (three levels deep).
import { JSON, fail, input, num, obj, ok, str } from '../../lib/io';
import { fs } from '../../lib/kernel';

const MAX_FILES = 200;
const MAX_DEPTH = 3;

class Search {
  results: JSON.Arr = JSON.Value.Array();
  count: i32 = 0;
  files: i32 = 0;
  error: string = '';
  constructor(public needle: string, public limit: i32) {}
}

function call(op: string, path: string): JSON.Obj {
  const request = obj();
  request.set('op', JSON.from<string>(op));
  request.set('path', JSON.from<string>(path));
  return fs(request);
}

function searchFile(path: string, search: Search): void {
  const reply = call('read', path);
  const okValue = reply.getBool('ok');
  if (okValue == null || !okValue.valueOf()) return;
  const value = reply.getObj('value');
  if (value == null) return;
  const content = value.getString('content');
  if (content == null) return;
  const lines = content.valueOf().split('\n');
  for (let i = 0; i < lines.length && search.count < search.limit; i++) {
    if (!lines[i].toLowerCase().includes(search.needle)) continue;
    const hit = obj();
    hit.set('path', JSON.from<string>(path));
    hit.set('line', JSON.from<i64>(i + 1));
    hit.set('text', JSON.from<string>(lines[i].length > 300 ? lines[i].substring(0, 300) : lines[i]));
    search.results.push(hit);
    search.count++;
  }
}

function walk(folder: string, depth: i32, search: Search): void {
  if (depth > MAX_DEPTH || search.count >= search.limit || search.files >= MAX_FILES) return;
  const reply = call('list', folder);
  const okValue = reply.getBool('ok');
  if (okValue == null || !okValue.valueOf()) {
    const error = reply.getString('error');
    if (depth == 0) search.error = error == null ? 'cannot list ' + folder : error.valueOf();
    return;
  }
  const value = reply.getObj('value');
  if (value == null) return;
  const entries = value.getArr('entries');
  if (entries == null) return;
  const items = entries.valueOf();
  for (let i = 0; i < items.length && search.count < search.limit && search.files < MAX_FILES; i++) {
    if (!items[i].isObj) continue;
    const entry = items[i] as JSON.Obj;
    const name = entry.getString('name');
    const kind = entry.getString('kind');
    if (name == null || kind == null) continue;
    const path = folder.endsWith('/') ? folder + name.valueOf() : folder + '/' + name.valueOf();
    if (kind.valueOf() == 'dir') walk(path, depth + 1, search);
    else if (kind.valueOf() == 'file') {
      search.files++;
      searchFile(path, search);
    }
  }
}

export function run(): i32 {
  const args = input();
  const path = str(args, 'path');
  const query = str(args, 'query');
  if (path == null || query == null || query.length == 0) return fail('path and query are required');
  const search = new Search(query.toLowerCase(), <i32>num(args, 'maxResults', 50));
  walk(path, 0, search);
  if (search.error != '') return fail(search.error);
  const out = obj();
  out.set('matches', search.results);
  out.set('filesSearched', JSON.from<i64>(search.files));
  return ok(out);
}
