/** Python's fixed-point formatting, which NeuSim's log lines use (values printed by Python 3). */
import { expect, it } from "vitest";
import { test as fcTest, fc } from "@fast-check/vitest";
import { pyFixed } from "../src/model/numeric.js";

it("rounds exact ties to even, as Python does, and agrees with toFixed elsewhere", () => {
  const python: [number, number, string][] = [
    [778.125, 2, "778.12"], [0.125, 2, "0.12"], [0.375, 2, "0.38"], [2.5, 0, "2"], [3.5, 0, "4"],
    [1.005, 2, "1.00"], [-0.125, 2, "-0.12"], [168.75, 2, "168.75"], [36.755, 2, "36.76"],
  ];
  for (const [x, d, s] of python) expect(pyFixed(x, d), String(x)).toBe(s);
});

fcTest.prop([fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.integer({ min: 0, max: 6 })])("differs from toFixed only on exact ties", (x, d) => {
  const scaled = x * 10 ** d;
  const tie = Math.abs(scaled % 1) === 0.5 && Number.isFinite(scaled);
  if (!tie) expect(pyFixed(x, d)).toBe(x.toFixed(d));
});

fcTest.prop([fc.integer({ min: 0, max: 2 ** 20 }), fc.integer({ min: 0, max: 4 }), fc.boolean()])("rounds every exact tie (x = odd / 2^(d+1)) to even", (k, d, negative) => {
  const m = 2 * k + 1; // x x 10^d = m x 5^d / 2, an odd number over two: a tie
  const x = (negative ? -m : m) / 2 ** (d + 1);
  const twice = BigInt(m) * 5n ** BigInt(d);
  let q = (twice - 1n) / 2n;
  if (q % 2n === 1n) q += 1n;
  const digits = q.toString().padStart(d + 1, "0");
  const text = d > 0 ? `${digits.slice(0, -d)}.${digits.slice(-d)}` : digits;
  expect(pyFixed(x, d)).toBe(negative ? `-${text}` : text);
});
