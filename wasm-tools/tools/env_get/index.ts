// env_get: one environment variable, from the kernel, behind an env:KEY grant.
import { JSON, fail, input, obj, relay, str } from '../../lib/io';
import { env } from '../../lib/kernel';

export function run(): i32 {
  const key = str(input(), 'key');
  if (key == null) return fail('key is required');
  const request = obj();
  request.set('key', JSON.from<string>(key));
  return relay(env(request));
}
