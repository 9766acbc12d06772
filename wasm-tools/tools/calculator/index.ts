// calculator: a recursive-descent evaluator for + - * / % ^, parentheses, unary minus, functions.
import { fail, input, numberValue, obj, ok, str } from '../../lib/io';

class Parser {
  pos: i32 = 0;
  error: string = '';
  constructor(public src: string) {}

  skip(): void {
    while (this.pos < this.src.length && this.src.charCodeAt(this.pos) == 32) this.pos++;
  }
  peek(): string {
    this.skip();
    return this.pos < this.src.length ? this.src.charAt(this.pos) : '';
  }
  fail(message: string): f64 {
    if (this.error == '') this.error = message;
    return 0;
  }

  sum(): f64 {
    let value = this.product();
    let op = this.peek();
    while (op == '+' || op == '-') {
      this.pos++;
      const right = this.product();
      value = op == '+' ? value + right : value - right;
      op = this.peek();
    }
    return value;
  }
  product(): f64 {
    let value = this.power();
    let op = this.peek();
    while (op == '*' || op == '/' || op == '%') {
      this.pos++;
      const right = this.power();
      if (op == '*') value = value * right;
      else if (op == '/') value = value / right;
      else value = value % right;
      op = this.peek();
    }
    return value;
  }
  power(): f64 {
    const base = this.unary();
    if (this.peek() == '^') {
      this.pos++;
      return Math.pow(base, this.power());
    }
    return base;
  }
  unary(): f64 {
    const c = this.peek();
    if (c == '-') {
      this.pos++;
      return -this.unary();
    }
    if (c == '+') {
      this.pos++;
      return this.unary();
    }
    return this.primary();
  }
  primary(): f64 {
    const c = this.peek();
    if (c == '') return this.fail('unexpected end of expression');
    if (c == '(') {
      this.pos++;
      const value = this.sum();
      if (this.peek() != ')') return this.fail('missing closing parenthesis');
      this.pos++;
      return value;
    }
    const start = this.pos;
    const code = this.src.charCodeAt(this.pos);
    if ((code >= 48 && code <= 57) || code == 46) {
      while (this.pos < this.src.length) {
        const d = this.src.charCodeAt(this.pos);
        if ((d >= 48 && d <= 57) || d == 46) this.pos++;
        else break;
      }
      return parseFloat(this.src.substring(start, this.pos));
    }
    while (this.pos < this.src.length) {
      const l = this.src.charCodeAt(this.pos) | 32;
      if (l >= 97 && l <= 122) this.pos++;
      else break;
    }
    const name = this.src.substring(start, this.pos).toLowerCase();
    if (name == '') return this.fail('unexpected "' + c + '"');
    if (name == 'pi') return Math.PI;
    if (name == 'e') return Math.E;
    if (this.peek() != '(') return this.fail('unexpected "' + name + '"');
    this.pos++;
    const x = this.sum();
    if (this.peek() != ')') return this.fail('missing closing parenthesis');
    this.pos++;
    if (name == 'sqrt') return Math.sqrt(x);
    if (name == 'abs') return Math.abs(x);
    if (name == 'ln') return Math.log(x);
    if (name == 'log10') return Math.log10(x);
    if (name == 'sin') return Math.sin(x);
    if (name == 'cos') return Math.cos(x);
    if (name == 'tan') return Math.tan(x);
    if (name == 'round') return Math.round(x);
    if (name == 'floor') return Math.floor(x);
    if (name == 'ceil') return Math.ceil(x);
    return this.fail('unknown function "' + name + '"');
  }
}

export function run(): i32 {
  const expression = str(input(), 'expression');
  if (expression == null) return fail('expression is required');
  const parser = new Parser(expression);
  const value = parser.sum();
  if (parser.error == '' && parser.peek() != '') parser.error = 'unexpected "' + parser.peek() + '"';
  if (parser.error != '') return fail(parser.error);
  if (!isFinite(value)) return fail('the result is not a finite number');
  const out = obj();
  out.set('value', numberValue(value));
  return ok(out);
}
