// text_stats: characters, words, lines and sentences of a text.
import { JSON, fail, input, obj, ok, str } from '../../lib/io';

function isWordChar(code: i32): bool {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code == 39 || code == 45 || code > 127;
}

export function run(): i32 {
  const text = str(input(), 'text');
  if (text == null) return fail('text is required');
  let words = 0;
  let sentences = 0;
  let lines = text.length == 0 ? 0 : 1;
  let inWord = false;
  let sentenceHasText = false;
  let characters = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    // Count code points, not UTF-16 units.
    if (code < 0xdc00 || code > 0xdfff) characters++;
    if (code == 10) lines++;
    if (isWordChar(code)) {
      if (!inWord) words++;
      inWord = true;
      sentenceHasText = true;
    } else inWord = false;
    if ((code == 46 || code == 33 || code == 63) && sentenceHasText) {
      sentences++;
      sentenceHasText = false;
    }
  }
  if (sentenceHasText) sentences++;
  const out = obj();
  out.set('characters', JSON.from<i64>(characters));
  out.set('words', JSON.from<i64>(words));
  out.set('lines', JSON.from<i64>(lines));
  out.set('sentences', JSON.from<i64>(sentences));
  return ok(out);
}
