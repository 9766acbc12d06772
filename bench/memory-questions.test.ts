import { describe, expect, it } from 'vitest';
import { checkQuestionSet, judgeAnswer, MEMORY_FACTS, sharedRareWords } from './memory-questions.js';

describe('memory question set', () => {
  it('has paraphrased questions that share no rare word with their fact, and a held-back half', () => {
    expect(() => checkQuestionSet(MEMORY_FACTS)).not.toThrow();
    expect(MEMORY_FACTS.length).toBeGreaterThanOrEqual(20);
  });

  it('refuses a question that repeats its fact’s words, ignoring case and plural endings', () => {
    expect(sharedRareWords('Where are the Keys of my sister?', 'My sister keeps the spare house key here.')).toEqual(['key', 'sister']);
    const leaky = { ...MEMORY_FACTS[0]!, question: 'Where is the spare key kept?' };
    expect(() => checkQuestionSet([leaky])).toThrow(/shares spare, key/);
  });

  it('judges an answer right only when it names the value and not the distractor’s', () => {
    const item = MEMORY_FACTS[1]!;
    expect(judgeAnswer('It is on Thursday.', item)).toBe(true);
    expect(judgeAnswer('Thursday or Monday', item)).toBe(false);
    expect(judgeAnswer('Thursdays are busy', item)).toBe(false);
  });
});
