// file_list: lists a folder the user granted for reading.
import { JSON, fail, input, obj, relay, str } from '../../lib/io';
import { fs } from '../../lib/kernel';

export function run(): i32 {
  const path = str(input(), 'path');
  if (path == null) return fail('path is required');
  const request = obj();
  request.set('op', JSON.from<string>('list'));
  request.set('path', JSON.from<string>(path));
  return relay(fs(request));
}
