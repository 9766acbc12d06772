// memory_search: finds paged-out blocks of this agent's long-term memory (or, with a grant, another agent's).
import { JSON, fail, input, num, obj, relay, str } from '../../lib/io';
import { memory } from '../../lib/kernel';

export function run(): i32 {
  const args = input();
  const query = str(args, 'query');
  if (query == null || query.length == 0) return fail('query is required');
  const request = obj();
  request.set('op', JSON.from<string>('search'));
  request.set('query', JSON.from<string>(query));
  request.set('k', JSON.from<i64>(<i64>num(args, 'k', 5)));
  const agent = str(args, 'agent');
  if (agent != null) request.set('agent', JSON.from<string>(agent));
  return relay(memory(request));
}
