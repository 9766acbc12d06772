// http_get: fetches a URL through the kernel, which allows only granted hosts and caps the size.
import { JSON, fail, input, num, obj, relay, str } from '../../lib/io';
import { http } from '../../lib/kernel';

export function run(): i32 {
  const args = input();
  const url = str(args, 'url');
  if (url == null) return fail('url is required');
  const request = obj();
  request.set('method', JSON.from<string>('GET'));
  request.set('url', JSON.from<string>(url));
  request.set('maxBytes', JSON.from<i64>(<i64>num(args, 'maxBytes', 65536)));
  return relay(http(request));
}
