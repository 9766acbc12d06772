// unit_convert: lengths, masses, volumes, times and temperatures.
import { fail, input, num, numberValue, obj, ok, str } from '../../lib/io';

const NAMES: string[] = ['m', 'km', 'cm', 'mm', 'mi', 'ft', 'in', 'kg', 'g', 'lb', 'oz', 'l', 'ml', 'gal', 's', 'min', 'h', 'day'];
const DIMENSIONS: string[] = ['length', 'length', 'length', 'length', 'length', 'length', 'length', 'mass', 'mass', 'mass', 'mass', 'volume', 'volume', 'volume', 'time', 'time', 'time', 'time'];
const FACTORS: f64[] = [1, 1000, 0.01, 0.001, 1609.344, 0.3048, 0.0254, 1, 0.001, 0.45359237, 0.028349523125, 1, 0.001, 3.785411784, 1, 60, 3600, 86400];

function toKelvin(value: f64, unit: string): f64 {
  if (unit == 'c') return value + 273.15;
  if (unit == 'f') return ((value - 32) * 5) / 9 + 273.15;
  return value;
}

function fromKelvin(value: f64, unit: string): f64 {
  if (unit == 'c') return value - 273.15;
  if (unit == 'f') return ((value - 273.15) * 9) / 5 + 32;
  return value;
}

function isTemperature(unit: string): bool {
  return unit == 'c' || unit == 'f' || unit == 'k';
}

export function run(): i32 {
  const args = input();
  const fromArg = str(args, 'from');
  const toArg = str(args, 'to');
  if (fromArg == null || toArg == null) return fail('from and to are required');
  const from = fromArg.toLowerCase();
  const to = toArg.toLowerCase();
  const value = num(args, 'value', NaN);
  if (isNaN(value)) return fail('value must be a number');
  const out = obj();
  if (isTemperature(from) && isTemperature(to)) {
    out.set('value', numberValue(fromKelvin(toKelvin(value, from), to)));
    return ok(out);
  }
  const a = NAMES.indexOf(from);
  const b = NAMES.indexOf(to);
  if (a < 0) return fail('unknown unit "' + fromArg + '"');
  if (b < 0) return fail('unknown unit "' + toArg + '"');
  if (DIMENSIONS[a] != DIMENSIONS[b]) return fail('cannot convert ' + DIMENSIONS[a] + ' to ' + DIMENSIONS[b]);
  out.set('value', numberValue((value * FACTORS[a]) / FACTORS[b]));
  return ok(out);
}
