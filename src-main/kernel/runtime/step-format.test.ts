import { describe, expect, it } from 'vitest';
import { readableResult } from './prompt-builder.js';

describe('how steps and results look to a small model', () => {
  it('a JSON result comes back as key: value lines, an HTTP body holding JSON as dotted keys', () => {
    const result = JSON.stringify({ status: 200, body: JSON.stringify({ city: 'Lisbon', wind: { speed: 14 } }), truncated: false });
    expect(readableResult(result)).toBe('status: 200\nbody.city: Lisbon\nbody.wind.speed: 14\ntruncated: false');
    expect(readableResult('{"value":391}')).toBe('value: 391');
    // Not an object: left as it is.
    expect(readableResult('[1,2]')).toBe('[1,2]');
    expect(readableResult('plain text')).toBe('plain text');
  });
});
