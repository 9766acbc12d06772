/**
 * A small recursive-descent evaluator for + - * / % ^, parentheses, unary minus and a few
 * functions. No `eval`: the input comes from a model.
 */
const FUNCTIONS: Record<string, (x: number) => number> = {
  sqrt: Math.sqrt,
  abs: Math.abs,
  ln: Math.log,
  log10: Math.log10,
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  round: Math.round,
  floor: Math.floor,
  ceil: Math.ceil,
};
const CONSTANTS: Record<string, number> = { pi: Math.PI, e: Math.E };

export function evaluateArithmetic(source: string): number {
  const tokens = source.match(/\d+(?:\.\d+)?(?:e[+-]?\d+)?|[a-z_][a-z0-9_]*|\*\*|[-+*/%^()]|\S/gi) ?? [];
  let position = 0;
  const peek = (): string | undefined => tokens[position];
  const take = (): string => {
    const token = tokens[position++];
    if (token === undefined) throw new Error('unexpected end of expression');
    return token;
  };

  const primary = (): number => {
    const token = take();
    if (token === '(') {
      const value = sum();
      if (take() !== ')') throw new Error('missing closing parenthesis');
      return value;
    }
    if (token === '-') return -power();
    if (token === '+') return power();
    if (/^\d/.test(token)) return Number(token);
    const name = token.toLowerCase();
    if (name in CONSTANTS) return CONSTANTS[name]!;
    const fn = FUNCTIONS[name];
    if (fn) {
      if (take() !== '(') throw new Error(`${name} needs parentheses`);
      const value = sum();
      if (take() !== ')') throw new Error('missing closing parenthesis');
      return fn(value);
    }
    throw new Error(`unexpected "${token}"`);
  };
  const power = (): number => {
    const base = primary();
    if (peek() === '^' || peek() === '**') {
      take();
      return base ** power();
    }
    return base;
  };
  const product = (): number => {
    let value = power();
    while (peek() === '*' || peek() === '/' || peek() === '%') {
      const op = take();
      const right = power();
      value = op === '*' ? value * right : op === '/' ? value / right : value % right;
    }
    return value;
  };
  const sum = (): number => {
    let value = product();
    while (peek() === '+' || peek() === '-') {
      const op = take();
      const right = product();
      value = op === '+' ? value + right : value - right;
    }
    return value;
  };

  if (tokens.length === 0) throw new Error('empty expression');
  const result = sum();
  if (position < tokens.length) throw new Error(`unexpected "${tokens[position]}"`);
  if (!Number.isFinite(result)) throw new Error('the result is not a finite number');
  return result;
}
