// send_message: a message to another agent's mailbox, through the kernel (behind an ipc:AGENT grant).
import { JSON, fail, input, obj, relay, str } from '../../lib/io';
import { ipc } from '../../lib/kernel';

export function run(): i32 {
  const args = input();
  const to = str(args, 'to');
  const text = str(args, 'text');
  if (to == null || text == null) return fail('to and text are required');
  const request = obj();
  request.set('to', JSON.from<string>(to));
  request.set('text', JSON.from<string>(text));
  return relay(ipc(request));
}
