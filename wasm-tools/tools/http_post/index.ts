// http_post: sends a body to a URL through the kernel, which allows only granted hosts.
import { JSON, fail, input, obj, relay, str } from '../../lib/io';
import { http } from '../../lib/kernel';

export function run(): i32 {
  const args = input();
  const url = str(args, 'url');
  const body = str(args, 'body');
  if (url == null || body == null) return fail('url and body are required');
  const contentType = str(args, 'contentType');
  const request = obj();
  request.set('method', JSON.from<string>('POST'));
  request.set('url', JSON.from<string>(url));
  request.set('body', JSON.from<string>(body));
  request.set('contentType', JSON.from<string>(contentType == null ? 'application/json' : contentType));
  request.set('maxBytes', JSON.from<i64>(65536));
  return relay(http(request));
}
