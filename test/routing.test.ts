/**
 * Expected-case routing and EPLB: the EPLB port against eplb.py's own example,
 * the worst-case equivalent, invariants of the load models (fast-check), and
 * the anchor table of the routing note (Monte Carlo).
 */
import { describe, expect, it } from "vitest";
import { test as fcTest, fc } from "@fast-check/vitest";
import { rebalanceExperts } from "../src/model/routing/eplb.js";
import { computeRouting, worstCaseEquivalentW, type RoutingFields } from "../src/model/routing/route.js";
import { measuredCounts, sampleCounts, type LoadModel } from "../src/model/routing/loads.js";
import { Rng } from "../src/model/routing/rng.js";
import { expectedMaxBinomial, logGamma } from "../src/model/routing/closed-form.js";
import { parseLoads } from "../src/model/routing/measured.js";
import { ROUTING_DEFAULTS } from "../src/model/config.js";
import { evaluate } from "../src/model/evaluate.js";

const v3 = (over: Partial<RoutingFields>): RoutingFields => ({
  ...(ROUTING_DEFAULTS as unknown as RoutingFields),
  num_routed_experts: 256, num_activated_routed_experts_per_token: 8, expert_load_imbalance_factor: -1, num_worst_case_experts: 1,
  expert_parallelism_degree: 8, ...over,
});

describe("EPLB (a port of deepseek-ai/EPLB rebalance_experts)", () => {
  it("reproduces the README example's phy2log exactly", () => {
    const weights = [[90, 132, 40, 61, 104, 165, 39, 4, 73, 56, 183, 86], [20, 107, 104, 64, 19, 197, 187, 157, 172, 86, 16, 27]];
    expect(weights.map((w) => rebalanceExperts(w, 16, 4, 2, 8).phy2log)).toEqual([
      [5, 6, 5, 7, 8, 4, 3, 4, 10, 9, 10, 2, 0, 1, 11, 1],
      [7, 10, 6, 8, 6, 11, 8, 9, 2, 4, 5, 1, 5, 0, 3, 1],
    ]);
  });

  it("gives every expert a slot and the extra slots to the heaviest experts", () => {
    const plan = rebalanceExperts([10, 1, 1, 1, 1, 1, 1, 1], 12, 1, 1, 4);
    expect(plan.phy2log).toHaveLength(12);
    expect(new Set(plan.phy2log)).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7]));
    expect(plan.logcnt[0]).toBe(5);
    expect(plan.logcnt.reduce((a, b) => a + b, 0)).toBe(12);
  });
});

describe("the worst-case equivalent", () => {
  it("W_eq(f = 4, s = 4/3, EP = 8) = 4 for E = 256, K = 8", () => {
    expect(worstCaseEquivalentW(4, 4 / 3, 256, 32)).toBeCloseTo(4, 12);
  });

  it("worst_case reproduces f and W exactly, and its skew", () => {
    const r = computeRouting(v3({ expert_load_imbalance_factor: 4, num_worst_case_experts: 4 }), 4096);
    expect(r.f_eq).toBe(4);
    expect(r.W_eq).toBe(4);
    expect(r.s_eq).toBeCloseTo(4 / 3, 12);
    expect(worstCaseEquivalentW(r.f_eq, r.s_eq, 256, 32)).toBeCloseTo(4, 9);
  });
});

const sampledModel = fc.constantFrom<LoadModel>("uniform", "zipf", "power_law");
const shape = fc.record({
  E: fc.constantFrom(8, 16, 64, 160, 256), kFrac: fc.double({ min: 0, max: 1, noNaN: true }), T: fc.integer({ min: 1, max: 600 }),
  s: fc.double({ min: 0, max: 2, noNaN: true }), alpha: fc.double({ min: 0.5, max: 2, noNaN: true }), seed: fc.nat(1000),
});

describe("load models (fast-check)", () => {
  fcTest.prop([sampledModel, shape], { numRuns: 150 })("loads are conserved (sum = T K) and each expert gets at most T", (model, p) => {
    const K = 1 + Math.floor(p.kFrac * Math.min(8, p.E - 1));
    const c = sampleCounts(model, { E: p.E, K, T: p.T, zipfExponent: p.s, powerLawAlpha: p.alpha }, new Rng(p.seed));
    expect(c.reduce((a, b) => a + b, 0)).toBe(p.T * K);
    for (const x of c) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThanOrEqual(p.T);
    }
  });

  fcTest.prop([fc.array(fc.nat(1000), { minLength: 8, maxLength: 64 }), fc.integer({ min: 1, max: 500 }), fc.integer({ min: 1, max: 8 })])(
    "a measured vector is scaled to T K and capped at T", (raw, T, K) => {
      const c = measuredCounts(raw, T, Math.min(K, raw.length));
      const k = Math.min(K, raw.length);
      expect(c.reduce((a, b) => a + b, 0)).toBeCloseTo(T * k, 6);
      for (const x of c) expect(x).toBeLessThanOrEqual(T + 1e-9);
    });

  fcTest.prop([sampledModel, fc.constantFrom(2, 4, 8, 16, 32), fc.constantFrom(16, 64, 256, 1024), fc.nat(100)], { numRuns: 60 })(
    "skew >= 1; an oracle EPLB never raises the busiest device's load; the same seed gives the same numbers", (model, EP, T, seed) => {
      const c = v3({ expert_load_model: model, expert_parallelism_degree: EP, routing_samples: 4, routing_seed: seed, zipf_exponent: 0.8 });
      const plain = computeRouting(c, T);
      expect(plain.s_eq).toBeGreaterThanOrEqual(1);
      const eplb = computeRouting({ ...c, eplb_policy: "auto", num_redundant_experts: EP }, T);
      expect(eplb.eplb_busiest_device_load_ratio).toBeLessThanOrEqual(1 + 1e-12);
      expect(eplb.busiest_device_tokens).toBeLessThanOrEqual(plain.busiest_device_tokens + 1e-9);
      const noExtra = computeRouting({ ...c, eplb_policy: "auto", num_redundant_experts: 0 }, T);
      expect(noExtra.eplb_max_replicas).toBe(1); // R = E: nothing is replicated
      expect(computeRouting({ ...c }, T)).toEqual(plain);
      expect(computeRouting({ ...c, routing_seed: seed + 1 }, T).busiest_device_tokens).not.toBeNaN();
    });

  it("the expected-case (uniform) skew never exceeds the worst case's at f = E/K, W = 1, and falls toward 1 as T grows", () => {
    for (const EP of [2, 8, 32]) {
      const worst = computeRouting(v3({ expert_parallelism_degree: EP }), 256).s_eq;
      let last = Infinity;
      for (const T of [64, 256, 1024, 4096, 16384]) {
        const s = computeRouting(v3({ expert_load_model: "uniform", expert_parallelism_degree: EP, routing_samples: 64 }), T).s_eq;
        expect(s).toBeLessThanOrEqual(worst);
        expect(s).toBeLessThan(last);
        last = s;
      }
      expect(last).toBeLessThan(1.05);
    }
  });

  it("zipf with s = 0 is uniform routing (within Monte Carlo error); a larger s concentrates load", () => {
    const at = (model: LoadModel, s: number) => computeRouting(v3({ expert_load_model: model, zipf_exponent: s, expert_parallelism_degree: 32, routing_samples: 200 }), 2048);
    const z0 = at("zipf", 0), u = at("uniform", 0);
    expect(Math.abs(z0.f_eq / u.f_eq - 1)).toBeLessThan(0.02);
    expect(Math.abs(z0.s_eq / u.s_eq - 1)).toBeLessThan(0.01);
    expect(at("zipf", 0.5).s_eq).toBeGreaterThan(2);
    expect(at("zipf", 1).f_eq).toBeGreaterThan(at("zipf", 0.5).f_eq);
  });

  it("a different seed gives different samples; the same seed, the same bytes", () => {
    const a = computeRouting(v3({ expert_load_model: "zipf", routing_samples: 3, routing_seed: 1 }), 300);
    const b = computeRouting(v3({ expert_load_model: "zipf", routing_samples: 3, routing_seed: 2 }), 300);
    expect(a.busiest_device_tokens).not.toBe(b.busiest_device_tokens);
  });
});

describe("closed forms (uniform routing, routing_samples = 0)", () => {
  fcTest.prop([fc.constantFrom(16, 64, 160, 256), fc.constantFrom(2, 6, 8), fc.constantFrom(2, 4, 8, 16), fc.integer({ min: 256, max: 2048 })], { numRuns: 8 })(
    "Monte Carlo (400 samples) is within 2% of the closed forms for T >= 256", (E, K, EP, T) => {
      const c = v3({ num_routed_experts: E, num_activated_routed_experts_per_token: K, expert_parallelism_degree: EP, expert_load_model: "uniform" });
      const closed = computeRouting({ ...c, routing_samples: 0 }, T);
      const mc = computeRouting({ ...c, routing_samples: 400 }, T);
      expect(Math.abs(closed.f_eq / mc.f_eq - 1)).toBeLessThan(0.02);
      expect(Math.abs(closed.s_eq / mc.s_eq - 1)).toBeLessThan(0.02);
      expect(closed.s_eq).toBeGreaterThanOrEqual(1);
    });

  it("the closed form's busiest device carries s_eq x A tokens over its experts, and reports its equivalents", () => {
    const r = computeRouting(v3({ expert_load_model: "uniform", expert_parallelism_degree: 32 }), 4096);
    expect(r.busiest_device_tokens).toBeCloseTo(r.s_eq * r.mean_device_tokens, 9);
    expect(r.f_eq).toBeCloseTo(1.26, 1);
    expect(r.s_eq).toBeCloseTo(1.065, 2);
    expect(r.W_eq).toBeCloseTo(worstCaseEquivalentW(r.f_eq, r.s_eq, 256, 8), 12);
    expect(r.expert_classes.reduce((n, k) => n + k.experts, 0)).toBe(8);
  });
});

describe("the routing note's anchor table (E = 256, K = 8; Monte Carlo, 1000 samples)", () => {
  const rows: [LoadModel, number, number, Partial<RoutingFields>, number, number, number][] = [
    ["uniform", 8, 256, {}, 2.14, 1.089, 2.83],
    ["uniform", 32, 512, {}, 1.76, 1.184, 1.98],
    ["uniform", 32, 4096, {}, 1.26, 1.065, 2.08],
    ["uniform", 64, 8192, {}, 1.18, 1.073, 1.65],
    ["power_law", 32, 4096, { power_law_alpha: 1.01 }, 8.2, 2.63, 1.86],
  ];
  for (const [model, EP, T, extra, f, s, W] of rows) {
    it(`${model} ${JSON.stringify(extra)} EP = ${EP}, T = ${T}: f_eq ${f}, s_eq ${s}, W_eq ${W}`, () => {
      const r = computeRouting(v3({ expert_load_model: model, expert_parallelism_degree: EP, routing_samples: 1000, ...extra }), T);
      expect(Math.abs(r.f_eq / f - 1)).toBeLessThan(0.03);
      expect(Math.abs(r.s_eq / s - 1)).toBeLessThan(0.03);
      // W_eq amplifies the noise of s_eq - 1. The table's values are themselves 200-sample estimates: for the
      // heavy-tailed power law, ten 200-sample runs give W_eq 1.785 +- 0.041 (2.3%), so 1.86 is 1.8 SDs out;
      // its tolerance is two of those SDs (4.6%). The uniform rows' estimates are tighter (3%).
      expect(Math.abs(r.W_eq / W - 1)).toBeLessThan(model === "power_law" ? 0.046 : 0.03);
    });
  }
});

describe("measured loads", () => {
  it("parses CSV and JSON, one layer or several (their mean)", () => {
    expect(parseLoads("a.csv", "expert_load\n1\n2\n3\n")).toEqual([1, 2, 3]);
    expect(parseLoads("a.csv", "1,2,3\n3,2,1\n")).toEqual([2, 2, 2]);
    expect(parseLoads("a.json", "[4, 0, 2]")).toEqual([4, 0, 2]);
    expect(parseLoads("a.json", '{"loads": [[1, 1], [3, 1]]}')).toEqual([2, 1]);
    expect(() => parseLoads("a.json", "[1, -2]")).toThrow(/finite numbers >= 0/);
    expect(() => parseLoads("a.csv", "1,2\n3\n")).toThrow(/layer 1 has 1 experts/);
  });

  it("all load on one expert costs exactly what the worst case f = E/K, W = 1 costs", () => {
    const file = "one-hot-test.json";
    const entries = { chips: {}, models: {}, loads: { [file]: [1, ...new Array(255).fill(0)] } };
    return import("../src/model/catalog/neusim-files.js").then(({ registerConfigFiles }) => {
      registerConfigFiles(entries);
      for (const phase of ["prefill", "decode"] as const) {
        const common = { phase, tensor_parallelism_degree: 8, expert_parallelism_degree: 8, global_batch_size: 8, input_seqlen: 512 };
        const measured = evaluate({ ...common, expert_load_model: "measured", expert_load_file: file }).outputs;
        const worst = evaluate({ ...common, expert_load_imbalance_factor: -1, num_worst_case_experts: 1 }).outputs;
        for (const k of ["phase_time_ns", "moe_layer_time_ns", "dispatch_all_to_all_ns", "hot_expert_seqlen", "hot_experts_on_device", "active_remaining_experts", "remaining_expert_seqlen"] as const) {
          expect(measured[k], k).toBe(worst[k]);
        }
        // The skew is the same ratio reached by other arithmetic (a sum over the 31 remaining experts'
        // loads vs 31 x r per token), so it may differ in the last bits; every cost above is identical.
        expect(Math.abs((measured.receiver_skew as number) / (worst.receiver_skew as number) - 1)).toBeLessThan(1e-14);
      }
    });
  });
});

describe("closed form's shortcuts", () => {
  // The sum as first written: every term from lo to hi, pow each time. The shortcuts (stop at F = 1,
  // skip pow while F^n < 2^-55) must give the same double, not a close one.
  function fullSum(T: number, p: number, n: number): number {
    if (p <= 0) return 0;
    if (p >= 1) return T;
    const mean = T * p, sd = Math.sqrt(T * p * (1 - p));
    const lo = Math.max(0, Math.floor(mean - 12 * sd - 2));
    const hi = Math.min(T - 1, Math.ceil(mean + 12 * sd + 10 + Math.sqrt(2 * Math.log(Math.max(n, 2))) * sd));
    const lf = (k: number) => logGamma(k + 1);
    const pmf = (x: number) => Math.exp(lf(T) - lf(x) - lf(T - x) + x * Math.log(p) + (T - x) * Math.log1p(-p));
    let F = 0;
    if (lo <= 200) for (let x = 0; x < lo; x++) F += pmf(x);
    let sum = lo;
    for (let x = lo; x <= hi; x++) {
      F = Math.min(1, F + pmf(x));
      sum += 1 - Math.pow(F, n);
    }
    return sum;
  }
  fcTest.prop([fc.integer({ min: 1, max: 20_000 }), fc.constantFrom(1e-4, 1 / 256, 8 / 256, 1 / 32, 0.1, 0.5, 0.9), fc.constantFrom(1, 2, 8, 32, 256, 1000)], { numRuns: 300 })(
    "expectedMaxBinomial is the full sum's double", (T, p, n) => {
      expect(Object.is(expectedMaxBinomial(T, p, n), fullSum(T, p, n))).toBe(true);
    });
});
