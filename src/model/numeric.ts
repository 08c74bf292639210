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

export function product(xs: readonly number[]): number {
  let p = 1;
  for (const x of xs) p *= x;
  return p;
}
