// file_write: writes (or appends to) a text file in a folder the user granted for writing.
import { JSON, fail, input, obj, relay, str } from '../../lib/io';
import { fs } from '../../lib/kernel';

export function run(): i32 {
  const args = input();
  const path = str(args, 'path');
  const content = str(args, 'content');
  if (path == null || content == null) return fail('path and content are required');
  const append = args.getBool('append');
  const request = obj();
  request.set('op', JSON.from<string>('write'));
  request.set('path', JSON.from<string>(path));
  request.set('content', JSON.from<string>(content));
  request.set('append', JSON.from<bool>(append != null && append.valueOf()));
  return relay(fs(request));
}
