/**
 * Go's strconv.FormatFloat(x, 'g', -1, 64), which the vectors use for `powString`: the
 * shortest digits that round-trip, in %e form when the exponent is below -4 or at least 6
 * (two-digit exponents at least), else in %f form; +Inf for infinity.
 */
export function formatFloatGo(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Number.POSITIVE_INFINITY) return '+Inf';
  if (x === Number.NEGATIVE_INFINITY) return '-Inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const sign = x < 0 ? '-' : '';
  const [mantissa, exponentText] = Math.abs(x).toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const exp = Number(exponentText);
  if (exp < -4 || exp >= 6) {
    const fraction = digits.length > 1 ? `.${digits.slice(1)}` : '';
    const magnitude = String(Math.abs(exp)).padStart(2, '0');
    return `${sign}${digits[0]}${fraction}e${exp < 0 ? '-' : '+'}${magnitude}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const whole = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
  const fraction = digits.slice(exp + 1);
  return `${sign}${whole}${fraction ? `.${fraction}` : ''}`;
}
