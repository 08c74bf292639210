/** Numeric helpers shared by the model. Pure. */

/** Relative tolerance under which a float counts as the integer next to it. */
export const INTEGER_SNAP_REL = 1e-9;

/** Snap x to the nearest integer when it is within float noise of it. */
export function snapToInteger(x: number): number {
  const nearest = Math.round(x);
  if (Math.abs(x - nearest) <= INTEGER_SNAP_REL * Math.max(1, Math.abs(x))) return nearest;
  return x;
}

/** ceil() that float noise cannot flip: 255 * (7/255) -> 7, not 8. */
export function robustCeil(x: number): number {
  return Math.ceil(snapToInteger(x));
}

/** Python's ceil(a / b) for positive integers, exact. */
export function ceilDiv(a: number, b: number): number {
  return Math.ceil(a / b);
}

/** Prime factors of n, ascending (with repeats: 12 -> 2, 2, 3). */
export function primeFactors(n: number): number[] {
  const out: number[] = [];
  let r = n;
  while (r % 2 === 0 && r > 1) { out.push(2); r /= 2; }
  for (let i = 3; i * i <= r; i += 2) while (r % i === 0) { out.push(i); r /= i; }
  if (r > 2) out.push(r);
  return out;
}

export function product(xs: readonly number[]): number {
  let p = 1;
  for (const x of xs) p *= x;
  return p;
}

/**
 * Python's f"{x:.{digits}f}": like toFixed, except that an exact tie (the
 * double's exact value halfway between two candidates) rounds to the even one,
 * where toFixed rounds up. 778.125 -> "778.12", as NeuSim prints it.
 */
export function pyFixed(x: number, digits: number): string {
  const plain = x.toFixed(digits);
  if (!Number.isFinite(x) || x === 0) return plain;
  // A tie is x = (2q + 1) / (2^(d+1) 5^d) exactly, a double only when x x 2^(d+1) is an integer
  // (a power-of-two scaling: exact). Nearly every x fails this cheap test.
  if (!Number.isInteger(x * 2 ** (digits + 1))) return plain;
  // x = mantissa x 2^exponent exactly; a tie when x * 10^digits has fractional part exactly 1/2.
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const bits = view.getBigUint64(0);
  const rawExp = Number((bits >> 52n) & 0x7ffn);
  const frac = bits & ((1n << 52n) - 1n);
  const mantissa = rawExp === 0 ? frac : frac | (1n << 52n);
  const exponent = (rawExp === 0 ? 1 : rawExp) - 1075;
  if (exponent >= 0) return plain; // an integer: no tie
  const den = 1n << BigInt(-exponent);
  const num = mantissa * 10n ** BigInt(digits);
  if (2n * (num % den) !== den) return plain;
  let q = num / den; // the lower candidate
  if (q % 2n === 1n) q += 1n; // to even
  const s = q.toString().padStart(digits + 1, "0");
  const out = digits > 0 ? `${s.slice(0, -digits)}.${s.slice(-digits)}` : s;
  return x < 0 ? `-${out}` : out;
}
