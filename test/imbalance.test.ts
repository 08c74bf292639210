import { describe, expect, it } from "vitest";
import { fc, test as fcTest } from "@fast-check/vitest";
import { ConfigError } from "../src/model/config.js";
import { computeImbalance, expertsOnBusiestDevice, receiverSkew, type ImbalanceInput } from "../src/model/imbalance.js";

const v3 = (over: Partial<ImbalanceInput> = {}): ImbalanceInput => ({
  num_routed_experts: 256,
  num_activated_routed_experts_per_token: 8,
  expert_load_imbalance_factor: -1,
  num_worst_case_experts: 1,
  expert_parallelism_degree: 8,
  ...over,
});

describe("anchors of imbalance-model.md", () => {
  it("E=256, K=8, f=-1, W=1, EP=8: skew = 120832/65280 for any T", () => {
    for (const T of [1, 7, 64, 4096, 262144]) {
      expect(computeImbalance(v3(), T).receiver_skew).toBeCloseTo(120832 / 65280, 14);
    }
  });

  it("E=256, K=8, f=4, W=4, EP=8: skew = 4/3", () => {
    expect(receiverSkew(v3({ expert_load_imbalance_factor: 4, num_worst_case_experts: 4 }))).toBeCloseTo(4 / 3, 14);
  });

  it("E=10, K=2, f=-1, W=1, EP=3: D = 4 and skew = 2 (the floor model would give 11/6)", () => {
    const imb = computeImbalance({ ...v3(), num_routed_experts: 10, num_activated_routed_experts_per_token: 2, expert_parallelism_degree: 3 }, 64);
    expect(imb.experts_on_busiest_device).toBe(4);
    expect(imb.receiver_skew).toBeCloseTo(2, 14);
    expect(imb.receiver_skew).not.toBeCloseTo(11 / 6, 3);
  });

  it("f=1, EP=8, E=256, K=8: skew is exactly 1 at T = 1, 2, 8, 16, 256", () => {
    for (const T of [1, 2, 8, 16, 256]) {
      expect(computeImbalance(v3({ expert_load_imbalance_factor: 1 }), T).receiver_skew).toBe(1);
    }
  });

  it("EP=1: skew is exactly 1 whatever f", () => {
    for (const f of [-1, 1, 2, 4.5, 32]) {
      expect(receiverSkew(v3({ expert_parallelism_degree: 1, expert_load_imbalance_factor: f }))).toBe(1);
    }
  });

  it("D = max(1, ceil(E/EP)) at the listed points", () => {
    const cases: [number, number, number][] = [[256, 8, 32], [256, 1, 256], [10, 3, 4], [256, 7, 37], [8, 16, 1], [256, 512, 1]];
    for (const [E, EP, D] of cases) expect(expertsOnBusiestDevice(E, EP)).toBe(D);
  });

  it("T=64, EP=1, f=-1, W=1: hot expert on 64 tokens, 255 remaining experts each on 2 tokens", () => {
    const imb = computeImbalance(v3({ expert_parallelism_degree: 1 }), 64);
    expect(imb.hot_experts_on_device).toBe(1);
    expect(imb.hot_expert_seqlen).toBe(64);
    expect(imb.active_remaining_experts).toBe(255);
    expect(imb.remaining_expert_seqlen).toBe(2);
  });

  it("T=1 decode: 1 hot expert on 1 token, 7 remaining experts on 1 token (not 255)", () => {
    const imb = computeImbalance(v3({ expert_parallelism_degree: 1 }), 1);
    expect(imb.hot_expert_seqlen).toBe(1);
    expect(imb.active_remaining_experts).toBe(7);
    expect(imb.remaining_expert_seqlen).toBe(1);
  });

  it("ceilings are immune to float noise: (E - W) * r that is an integer plus noise counts as the integer", () => {
    // E=160, K=6, W=1, T=3, EP=1: (E - W) * r is 15 in exact arithmetic, 15.000000000000002 in doubles.
    const E = 160, K = 6, W = 1, T = 3;
    const r = (T * K - W * ((T * K * (E / K)) / E)) / (E - W);
    expect((E - W) * r).toBeGreaterThan(15); // the noise is real...
    const imb = computeImbalance({ num_routed_experts: E, num_activated_routed_experts_per_token: K, expert_load_imbalance_factor: -1, num_worst_case_experts: W, expert_parallelism_degree: 1 }, T);
    expect(imb.active_remaining_experts).toBe(15); // ...and the model is immune to it
  });

  it("DeepSeek-V2 (E=160, K=6), defaults: skew about 1.16 at EP=2 and 1.48 at EP=4", () => {
    const v2 = (EP: number) => receiverSkew({ ...v3(), num_routed_experts: 160, num_activated_routed_experts_per_token: 6, expert_parallelism_degree: EP });
    expect(v2(2)).toBeCloseTo(1.1614, 4);
    expect(v2(4)).toBeCloseTo(1.4843, 4);
  });

  it("absolute worst case: W = K with f = E/K puts every token on the same K experts of one device", () => {
    const imb = computeImbalance(v3({ num_worst_case_experts: 8, expert_parallelism_degree: 8 }), 100);
    expect(imb.hot_expert_tokens).toBe(100);
    expect(imb.hot_experts_on_device).toBe(8);
    expect(imb.remaining_expert_tokens).toBe(0);
    expect(imb.active_remaining_experts).toBe(0);
    expect(imb.receiver_skew).toBe(8); // all T*K assignments land on one of EP = 8 devices
  });
});

describe("validation", () => {
  const bad: [Partial<ImbalanceInput>, string][] = [
    [{ num_routed_experts: 0 }, "num_routed_experts"],
    [{ num_activated_routed_experts_per_token: 0 }, "num_activated_routed_experts_per_token"],
    [{ num_activated_routed_experts_per_token: 300 }, "num_activated_routed_experts_per_token"],
    [{ expert_load_imbalance_factor: 0.5 }, "expert_load_imbalance_factor"],
    [{ expert_load_imbalance_factor: 33 }, "expert_load_imbalance_factor"],
    [{ expert_load_imbalance_factor: -2 }, "expert_load_imbalance_factor"],
    [{ num_worst_case_experts: 0 }, "num_worst_case_experts"],
    [{ num_worst_case_experts: 9 }, "num_worst_case_experts"],
    [{ num_worst_case_experts: 1.5 }, "num_worst_case_experts"],
    [{ expert_parallelism_degree: 0 }, "expert_parallelism_degree"],
  ];
  for (const [over, field] of bad) {
    it(`rejects ${JSON.stringify(over)} naming ${field}`, () => {
      expect(() => computeImbalance(v3(over), 1)).toThrow(ConfigError);
      expect(() => computeImbalance(v3(over), 1)).toThrow(new RegExp(`^${field} = `));
    });
  }

  it("checks E and K before dividing by them (no NaN or Infinity escapes)", () => {
    const err = (() => { try { computeImbalance(v3({ num_routed_experts: 0, num_activated_routed_experts_per_token: 0 }), 1); } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).field).toBe("num_routed_experts");
  });
});

/** Random valid (E, K, f, W, EP, T): EP <= E (a device needs an expert). */
const validPoint = fc
  .record({ E: fc.integer({ min: 1, max: 512 }), kFrac: fc.double({ min: 0, max: 1, noNaN: true }), epFrac: fc.double({ min: 0, max: 1, noNaN: true }), T: fc.integer({ min: 1, max: 1 << 20 }) })
  .chain(({ E, kFrac, epFrac, T }) => {
    const K = 1 + Math.floor(kFrac * (E - 1));
    const EP = 1 + Math.floor(epFrac * (E - 1));
    return fc.record({
      E: fc.constant(E), K: fc.constant(K), EP: fc.constant(EP), T: fc.constant(T),
      W: fc.integer({ min: 1, max: K }),
      f: fc.oneof(fc.constant(-1), fc.constant(1), fc.constant(E / K), fc.double({ min: 1, max: E / K, noNaN: true })),
    });
  });

const input = (p: { E: number; K: number; f: number; W: number; EP: number }): ImbalanceInput => ({
  num_routed_experts: p.E, num_activated_routed_experts_per_token: p.K, expert_load_imbalance_factor: p.f,
  num_worst_case_experts: p.W, expert_parallelism_degree: p.EP,
});

describe("invariants (fast-check)", () => {
  fcTest.prop([validPoint])("receiver skew is at least 1", (p) => {
    expect(receiverSkew(input(p))).toBeGreaterThanOrEqual(1);
  });

  fcTest.prop([validPoint, fc.integer({ min: 1, max: 1 << 20 })])("receiver skew does not depend on T", (p, T2) => {
    expect(computeImbalance(input(p), p.T).receiver_skew).toBe(computeImbalance(input(p), T2).receiver_skew);
  });

  fcTest.prop([validPoint, fc.double({ min: 0, max: 1, noNaN: true })])("receiver skew is non-decreasing in f", (p, t) => {
    const fMax = p.E / p.K;
    const f1 = p.f === -1 ? fMax : p.f;
    const f2 = f1 + t * (fMax - f1);
    const s1 = receiverSkew(input({ ...p, f: f1 }));
    const s2 = receiverSkew(input({ ...p, f: Math.min(f2, fMax) }));
    expect(s2).toBeGreaterThanOrEqual(s1 * (1 - 1e-12));
  });

  fcTest.prop([validPoint])("receiver skew is exactly 1 when EP = 1, and when f = 1 with EP dividing E", (p) => {
    expect(receiverSkew(input({ ...p, EP: 1 }))).toBe(1);
    const divisors = Array.from({ length: p.E }, (_, i) => i + 1).filter((d) => p.E % d === 0);
    const EP = divisors[p.T % divisors.length];
    expect(receiverSkew(input({ ...p, f: 1, EP }))).toBe(1);
  });

  fcTest.prop([validPoint])("tokens are conserved: W*h + (E-W)*r = T*K", (p) => {
    const imb = computeImbalance(input(p), p.T);
    const total = p.W * imb.hot_expert_tokens + (p.E - p.W) * imb.remaining_expert_tokens;
    expect(total).toBeCloseTo(p.T * p.K, Math.max(0, 8 - Math.ceil(Math.log10(p.T * p.K + 1))));
  });

  fcTest.prop([validPoint])("a hot expert never sees more than T tokens", (p) => {
    const imb = computeImbalance(input(p), p.T);
    expect(imb.hot_expert_tokens).toBeLessThanOrEqual(p.T * (1 + 1e-12));
    expect(imb.hot_expert_seqlen).toBeLessThanOrEqual(p.T);
  });

  fcTest.prop([validPoint])("active remaining experts <= min(D - Wd, T*K)", (p) => {
    const imb = computeImbalance(input(p), p.T);
    expect(imb.active_remaining_experts).toBeLessThanOrEqual(Math.min(imb.experts_on_busiest_device - imb.hot_experts_on_device, p.T * p.K));
    expect(Number.isInteger(imb.active_remaining_experts)).toBe(true);
  });

  const invalidPoint = validPoint.chain((p) =>
    fc.oneof(
      fc.constant({ ...p, f: 0.999 }),
      fc.constant({ ...p, f: p.E / p.K + 0.5 }),
      fc.constant({ ...p, W: p.K + 1 }),
      fc.constant({ ...p, W: 0 }),
      fc.constant({ ...p, K: p.E + 1 }),
      fc.constant({ ...p, E: 0 }),
      fc.constant({ ...p, EP: 0 }),
      fc.constant({ ...p, f: Number.NaN }),
    ));

  fcTest.prop([invalidPoint])("invalid configs always throw a ConfigError, never return a number", (p) => {
    expect(() => computeImbalance(input(p), p.T)).toThrow(ConfigError);
  });
});
