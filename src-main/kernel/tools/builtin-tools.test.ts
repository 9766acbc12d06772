import { describe, expect, it } from 'vitest';
import { evaluateArithmetic } from './arithmetic.js';
import { builtinTools, convertUnits, textStats } from './builtin-tools.js';
import { ToolRegistry } from './tool-registry.js';

const context = { pid: 1, signal: new AbortController().signal };

describe('builtin tools', () => {
  it.each([
    ['1 + 2 * 3', 7],
    ['(1 + 2) * 3', 9],
    ['2 ^ 3 ^ 2', 512],
    ['-4 + 10 % 4', -2],
    ['sqrt(16) + abs(-2)', 6],
    ['12 * 7', 84],
  ])('calculator evaluates %s', (expression, value) => {
    expect(evaluateArithmetic(expression)).toBeCloseTo(value);
  });

  it.each(['Yes,', '1 +', '(1', '1 / 0', 'process.exit()'])('calculator refuses %s', (expression) => {
    expect(() => evaluateArithmetic(expression)).toThrow();
  });

  it('converts units and refuses mixed dimensions', () => {
    expect(convertUnits(1, 'km', 'm')).toBe(1000);
    expect(convertUnits(100, 'c', 'f')).toBeCloseTo(212);
    expect(() => convertUnits(1, 'kg', 'm')).toThrow(/mass to length/);
  });

  it('counts text', () => {
    expect(textStats('One two. Three!\nFour')).toEqual({ characters: 20, words: 4, lines: 2, sentences: 3 });
  });

  it('checks arguments against the schema before any tool runs', async () => {
    const registry = new ToolRegistry();
    registry.register(builtinTools());
    await expect(registry.invoke('calculator', { expression: 5 }, context)).rejects.toMatchObject({ code: 'INVALID_TOOL_ARGS' });
    await expect(registry.invoke('calculator', { expression: '1+1', extra: 1 }, context)).rejects.toMatchObject({ code: 'INVALID_TOOL_ARGS' });
    await expect(registry.invoke('nope', {}, context)).rejects.toMatchObject({ code: 'UNKNOWN_TOOL' });
    await expect(registry.invoke('calculator', { expression: 'Yes' }, context)).rejects.toMatchObject({ code: 'TOOL_FAILED' });
    await expect(registry.invoke('calculator', { expression: '6*7' }, context)).resolves.toEqual({ value: 42 });
  });

  it('refuses a second tool with the same name', () => {
    const registry = new ToolRegistry();
    registry.register(builtinTools());
    expect(() => registry.register(builtinTools())).toThrow(/already registered/);
  });
});
