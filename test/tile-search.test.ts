import { describe, expect, it } from "vitest";
import { fc, test as fcTest } from "@fast-check/vitest";
import { bestTile, factors } from "../src/model/timing/tile-search.js";
import { bestTileExhaustive } from "./helpers/tile-search-exhaustive.js";

describe("tile search", () => {
  it("factors are every divisor, ascending", () => {
    expect(factors(1)).toEqual([1]);
    expect(factors(36)).toEqual([1, 2, 3, 4, 6, 9, 12, 18, 36]);
    expect(factors(7168)).toHaveLength(22); // 2^10 * 7
    expect(factors(999_983)).toEqual([1, 999_983]); // prime: the trial division runs to the square root
    expect(factors(2 * 999_983)).toEqual([1, 2, 999_983, 2 * 999_983]);
  });

  /** NeuSim's scan: every i from 1 to sqrt(n) that divides n, and its cofactor. */
  const scanDivisors = (n: number) => {
    const low: number[] = [], high: number[] = [];
    for (let i = 1; i * i <= n; i++) {
      if (n % i === 0) {
        low.push(i);
        if (i !== n / i) high.push(n / i);
      }
    }
    return low.concat(high.reverse());
  };
  const smooth = fc.tuple(fc.nat(20), fc.nat(6), fc.nat(4), fc.nat(3), fc.constantFrom(1, 11, 13, 97, 1009))
    .map(([a, b, c, d, p]) => 2 ** a * 3 ** b * 5 ** c * 7 ** d * p).filter((n) => n <= 2 ** 34);
  fcTest.prop([fc.oneof(fc.integer({ min: 1, max: 2_000_000 }), smooth)], { numRuns: 2000 })("factors from the prime factorization equal the divisor scan", (n) => {
    expect(factors(n)).toEqual(scanDivisors(n));
  });

  it("a size that is not a positive integer has no divisors, as the scan finds", () => {
    for (const n of [0, -4, 2.5, Number.NaN]) expect(factors(n)).toEqual(scanDivisors(n));
  });

  const dim = fc.oneof(fc.integer({ min: 1, max: 5000 }), fc.constantFrom(128, 256, 512, 1024, 2048, 4096, 7168, 57344, 65536, 131072));
  const problem = fc.record({
    b: fc.integer({ min: 1, max: 64 }), m: dim, n: dim, k: dim,
    lhsBytes: fc.constantFrom(1, 2, 4), rhsBytes: fc.constantFrom(1, 2, 4), outBytes: fc.constantFrom(1, 2, 4),
    saDim: fc.constantFrom(128, 256),
    vmemBytes: fc.constantFrom(1 << 20, 16 << 20, 64 << 20, 128 << 20, 256 << 20),
  });

  fcTest.prop([problem], { numRuns: 300 })("the fast search picks exactly what NeuSim's exhaustive search picks", (p) => {
    let expected: unknown;
    try { expected = bestTileExhaustive(p); } catch (e) { expected = (e as Error).message; }
    let actual: unknown;
    try { actual = bestTile(p); } catch (e) { actual = (e as Error).message; }
    expect(actual).toEqual(expected);
  });

  it("agrees on the shapes of the DeepSeek graph that do not fit in VMEM", () => {
    const shapes = [
      { b: 1, m: 4096, n: 2048, k: 7168 }, { b: 64, m: 4096, n: 2048, k: 7168 }, { b: 8, m: 4096 * 16, n: 4096, k: 512 },
      { b: 4096, m: 7168, n: 1, k: 8 }, { b: 1, m: 524288, n: 256, k: 7168 },
    ];
    for (const s of shapes) {
      const p = { ...s, lhsBytes: 2, rhsBytes: 2, outBytes: 2, saDim: 128, vmemBytes: 128 << 20 };
      expect(bestTile(p)).toEqual(bestTileExhaustive(p));
    }
  });
});
