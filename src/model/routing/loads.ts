/**
 * Expected-case expert loads: per-expert token counts c_1..c_E of one MoE layer
 * (sum T x K, each at most T) under a load model, one Monte Carlo sample at a
 * time from a seeded generator. Pure.
 */
import type { Rng } from "./rng.js";

export type LoadModel = "worst_case" | "uniform" | "zipf" | "power_law" | "measured";
export const LOAD_MODELS: readonly LoadModel[] = ["worst_case", "uniform", "zipf", "power_law", "measured"];

export interface LoadParams {
  E: number;
  K: number;
  /** Tokens routed together (all devices of the EP group). */
  T: number;
  zipfExponent: number;
  powerLawAlpha: number;
  /** `measured`: the file's per-expert loads (any scale). */
  measured?: readonly number[];
}

/** Each token picks K distinct experts uniformly (a partial Fisher-Yates shuffle per token). */
function uniformCounts(p: LoadParams, rng: Rng): Float64Array {
  const { E, K, T } = p;
  const counts = new Float64Array(E);
  const perm = new Int32Array(E);
  for (let i = 0; i < E; i++) perm[i] = i;
  for (let t = 0; t < T; t++) {
    for (let j = 0; j < K; j++) {
      const k = j + rng.below(E - j);
      const tmp = perm[j]; perm[j] = perm[k]; perm[k] = tmp;
      counts[perm[j]]++;
    }
  }
  return counts;
}

/**
 * Expert popularity p_i ~ i^-s; each token takes K distinct experts, drawn one
 * after another in proportion to p among those not yet taken (the same law as
 * Gumbel top-K), by binary search on the cumulative p and redrawing a repeat.
 */
function zipfCounts(p: LoadParams, rng: Rng): Float64Array {
  const { E, K, T, zipfExponent: s } = p;
  const counts = new Float64Array(E);
  const cdf = new Float64Array(E);
  let acc = 0;
  for (let i = 0; i < E; i++) cdf[i] = acc += Math.pow(i + 1, -s);
  const taken = new Int32Array(E).fill(-1);
  for (let t = 0; t < T; t++) {
    for (let j = 0; j < K; j++) {
      let e: number;
      do {
        const x = rng.next() * acc;
        let lo = 0, hi = E - 1;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (cdf[mid] < x) lo = mid + 1;
          else hi = mid;
        }
        e = lo;
      } while (taken[e] === t);
      taken[e] = t;
      counts[e]++;
    }
  }
  return counts;
}

/**
 * aiconfigurator's power law: each expert draws from a bounded Pareto with pdf ~
 * x^-alpha on [1, 0.8T] ([0.01, 2] when T K <= E), by inverse CDF; the draws are
 * scaled to T K, rounded, capped at T, and the overflow goes round-robin to the
 * lightest experts.
 */
function powerLawCounts(p: LoadParams, rng: Rng): Float64Array {
  const { E, K, T, powerLawAlpha: a } = p;
  const total = T * K;
  const [lo, hi] = total <= E ? [0.01, 2] : [1, 0.8 * T];
  const x = new Float64Array(E);
  let sum = 0;
  for (let i = 0; i < E; i++) {
    const u = rng.next();
    // Inverse CDF; alpha = 1 is the log-uniform limit.
    x[i] = Math.abs(a - 1) < 1e-12 ? lo * Math.pow(hi / lo, u) : Math.pow((Math.pow(hi, 1 - a) - Math.pow(lo, 1 - a)) * u + Math.pow(lo, 1 - a), 1 / (1 - a));
    sum += x[i];
  }
  return fitToTotal(Array.from(x, (v) => (v / sum) * total), T, total);
}

/** Round loads to whole tokens that sum to T K with none above T: overflow and rounding error go to the lightest experts. */
export function fitToTotal(loads: readonly number[], T: number, total: number): Float64Array {
  const E = loads.length;
  const c = new Float64Array(E);
  let assigned = 0;
  for (let i = 0; i < E; i++) {
    c[i] = Math.min(T, Math.max(0, Math.round(loads[i])));
    assigned += c[i];
  }
  let diff = total - assigned;
  if (diff !== 0) {
    const order = Array.from({ length: E }, (_, i) => i).sort((x, y) => (diff > 0 ? c[x] - c[y] : c[y] - c[x]) || x - y);
    const rounds = 4 * E * Math.max(1, Math.abs(diff));
    for (let k = 0; diff !== 0 && k < rounds; k++) {
      const i = order[k % E];
      if (diff > 0 && c[i] < T) { c[i]++; diff--; }
      else if (diff < 0 && c[i] > 0) { c[i]--; diff++; }
    }
  }
  return c;
}

/** One sample of per-expert token counts under the load model (not worst_case, which is closed-form). */
export function sampleCounts(model: LoadModel, p: LoadParams, rng: Rng): Float64Array {
  switch (model) {
    case "uniform": return uniformCounts(p, rng);
    case "zipf": return zipfCounts(p, rng);
    case "power_law": return powerLawCounts(p, rng);
    case "measured": return measuredCounts(p.measured!, p.T, p.K);
    case "worst_case": throw new Error("worst_case loads are closed-form (imbalance.ts)");
  }
}

/**
 * A measured load vector scaled to T x K tokens, real-valued (no rounding: rows
 * are rounded where matmuls need them), each expert capped at T with the excess
 * spread evenly over the experts below the cap.
 */
export function measuredCounts(m: readonly number[], T: number, K: number): Float64Array {
  const E = m.length;
  const total = T * K;
  const s = m.reduce((a, b) => a + b, 0);
  const c = Float64Array.from(m, (v) => (s > 0 ? (v / s) * total : total / E));
  for (let round = 0; round < E; round++) {
    let excess = 0, free = 0;
    for (let i = 0; i < E; i++) {
      if (c[i] > T) { excess += c[i] - T; c[i] = T; }
      else if (c[i] < T) free++;
    }
    if (excess <= 0 || free === 0) break;
    const share = excess / free;
    for (let i = 0; i < E; i++) if (c[i] < T) c[i] += share;
  }
  return c;
}
