// text_diff: a line diff (longest common subsequence) of two texts.
import { JSON, fail, input, obj, ok, str } from '../../lib/io';

const MAX_LINES = 400;

export function run(): i32 {
  const args = input();
  const before = str(args, 'before');
  const after = str(args, 'after');
  if (before == null || after == null) return fail('before and after are required');
  const a = before.split('\n');
  const b = after.split('\n');
  if (a.length > MAX_LINES || b.length > MAX_LINES) return fail('each text may have at most ' + MAX_LINES.toString() + ' lines');
  const n = a.length;
  const m = b.length;
  // lcs[i][j]: common lines of a[i..] and b[j..], in one flat array.
  const lcs = new Array<i32>((n + 1) * (m + 1)).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * (m + 1) + j] = a[i] == b[j] ? lcs[(i + 1) * (m + 1) + j + 1] + 1 : max(lcs[(i + 1) * (m + 1) + j], lcs[i * (m + 1) + j + 1]);
    }
  }
  const lines = new Array<string>();
  let added = 0;
  let removed = 0;
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] == b[j]) {
      lines.push('  ' + a[i]);
      i++;
      j++;
    } else if (j < m && (i == n || lcs[i * (m + 1) + j + 1] >= lcs[(i + 1) * (m + 1) + j])) {
      lines.push('+ ' + b[j]);
      added++;
      j++;
    } else {
      lines.push('- ' + a[i]);
      removed++;
      i++;
    }
  }
  const out = obj();
  out.set('diff', JSON.from<string>(lines.join('\n')));
  out.set('added', JSON.from<i64>(added));
  out.set('removed', JSON.from<i64>(removed));
  return ok(out);
}
