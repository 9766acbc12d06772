// memory_note: replaces the agent's pinned working-memory block, which stays in its context window.
import { JSON, fail, input, obj, relay, str } from '../../lib/io';
import { memory } from '../../lib/kernel';

export function run(): i32 {
  const text = str(input(), 'text');
  if (text == null) return fail('text is required');
  const request = obj();
  request.set('op', JSON.from<string>('pin'));
  request.set('text', JSON.from<string>(text));
  return relay(memory(request));
}
