import { describe, expect, it } from 'vitest';
import { compactJsonGrammar } from './llama-backend.js';

describe('the step grammar', () => {
  it('allows no newlines or indentation, only one optional space', () => {
    const pretty = [
      'root ::= ( rule1 ) "\\n\\n\\n\\n" [\\n]*',
      'comma-whitespace-b-1-4-rule ::= "," ([\\n] ("    " | "\\t") | [ ]?)',
      'whitespace-b-0-4-rule ::= [\\n] | [ ]?',
      'rule1 ::= "{" whitespace-b-0-4-rule "\\"a\\"" ":" [ ]? "1" comma-whitespace-b-1-4-rule "\\"b\\"" ":" "2" "}"',
    ].join('\n');
    const compact = compactJsonGrammar(pretty).split('\n');
    expect(compact[1]).toBe('comma-whitespace-b-1-4-rule ::= "," [ ]?');
    expect(compact[2]).toBe('whitespace-b-0-4-rule ::= [ ]?');
    // Every other rule is kept as it was.
    expect(compact[0]).toBe(pretty.split('\n')[0]);
    expect(compact[3]).toBe(pretty.split('\n')[3]);
  });
});
