/**
 * What the busiest device of the EP group computes under a load model: the
 * seed's worst case (closed form, imbalance.ts), or expected-case loads
 * (uniform, Zipf, power law, measured) sampled with a seeded generator, placed
 * in contiguous blocks or by DeepSeek's EPLB. Reports the busiest device's
 * expert blocks as classes of equal row counts, the all-to-all receiver skew,
 * and the worst-case equivalents f_eq, s_eq, W_eq. Pure; results are cached per
 * (load model, parameters, T, placement) so a sweep over f, W or EP pays once.
 */
import { NumberKeyMap } from "../number-key-map.js";
import { robustCeil, snapToInteger } from "../numeric.js";
import { computeImbalance, expertsOnBusiestDevice, type Imbalance, type ImbalanceInput } from "../imbalance.js";
import { eplbShapeError, rebalanceExperts, type EplbPolicy } from "./eplb.js";
import { sampleCounts, type LoadModel } from "./loads.js";
import { Rng } from "./rng.js";
import { measuredLoadsOf } from "./measured.js";
import { uniformClosedForm } from "./closed-form.js";
import { ConfigError } from "../config.js";

export interface RoutingFields extends ImbalanceInput {
  expert_load_model: LoadModel;
  zipf_exponent: number;
  power_law_alpha: number;
  expert_load_file: string;
  routing_samples: number;
  routing_seed: number;
  num_redundant_experts: number;
  eplb_policy: "none" | EplbPolicy;
  eplb_groups: number;
  eplb_nodes: number;
  eplb_plan_source: "same" | "other_sample";
}

/** The busiest device's experts: `experts` of them run on `rows` rows each (class 0 is the most loaded). */
export interface ExpertClass {
  rows: number;
  experts: number;
}

export interface Routing extends Imbalance {
  expert_classes: ExpertClass[];
  f_eq: number;
  s_eq: number;
  W_eq: number;
  busiest_device_experts_active: number;
  eplb_max_replicas: number;
  eplb_busiest_device_load_ratio: number;
}

/** Monte Carlo samples when routing_samples = 0 and the model has no closed form (all but uniform without EPLB). */
export const DEFAULT_ROUTING_SAMPLES = 32;


/**
 * The worst-case hot-expert count that gives the same busiest-device load:
 * W_eq = D E (s - 1) / [(f - 1)(E - D) + (s - 1) D] (0 when s = 1).
 */
export function worstCaseEquivalentW(f: number, s: number, E: number, D: number): number {
  if (s === 1) return 0;
  return (D * E * (s - 1)) / ((f - 1) * (E - D) + (s - 1) * D);
}

const cache = new Map<string, Routing>();
const CACHE_ENTRIES = 4096;
const closedCache = new NumberKeyMap<Routing>(CACHE_ENTRIES);
const closedKey = new Float64Array(4);

export function computeRouting(c: RoutingFields, tokens: number): Routing {
  if (c.expert_load_model === "worst_case" && c.eplb_policy === "none" && c.num_redundant_experts === 0) return worstCase(c, tokens);
  if (c.expert_load_model === "uniform" && c.eplb_policy === "none" && c.num_redundant_experts === 0 && c.routing_samples === 0) {
    // The closed form depends on E, K, EP and T alone (not the seed): cached on those numbers.
    const key = closedKey;
    key[0] = c.num_routed_experts; key[1] = c.num_activated_routed_experts_per_token; key[2] = c.expert_parallelism_degree; key[3] = tokens;
    let r = closedCache.get(key);
    if (!r) closedCache.set(key, (r = uniformClosed(c, tokens)));
    return r;
  }
  const key = JSON.stringify([c.expert_load_model, c.zipf_exponent, c.power_law_alpha, c.expert_load_file, c.routing_samples, c.routing_seed,
    c.num_redundant_experts, c.eplb_policy, c.eplb_groups, c.eplb_nodes, c.eplb_plan_source, c.num_routed_experts,
    c.num_activated_routed_experts_per_token, c.expert_parallelism_degree, tokens,
    c.expert_load_model === "worst_case" ? [c.expert_load_imbalance_factor, c.num_worst_case_experts] : 0]);
  let r = cache.get(key);
  if (!r) {
    r = sampled(c, tokens);
    if (cache.size >= CACHE_ENTRIES) cache.clear();
    cache.set(key, r);
  }
  return r;
}

/** The seed's closed form, with the classes and equivalents it implies. */
function worstCase(c: RoutingFields, T: number): Routing {
  const imb = computeImbalance(c, T);
  const classes: ExpertClass[] = [];
  if (imb.hot_experts_on_device > 0) classes.push({ rows: imb.hot_expert_seqlen, experts: imb.hot_experts_on_device });
  if (imb.active_remaining_experts > 0) classes.push({ rows: imb.remaining_expert_seqlen, experts: imb.active_remaining_experts });
  // A literal with every field (not a spread): one object shape on the sweep's hot path.
  return {
    effective_expert_load_imbalance_factor: imb.effective_expert_load_imbalance_factor,
    tokens_per_dispatch: imb.tokens_per_dispatch,
    hot_expert_tokens: imb.hot_expert_tokens,
    remaining_expert_tokens: imb.remaining_expert_tokens,
    experts_on_busiest_device: imb.experts_on_busiest_device,
    hot_experts_on_device: imb.hot_experts_on_device,
    hot_expert_seqlen: imb.hot_expert_seqlen,
    active_remaining_experts: imb.active_remaining_experts,
    remaining_expert_seqlen: imb.remaining_expert_seqlen,
    busiest_device_tokens: imb.busiest_device_tokens,
    mean_device_tokens: imb.mean_device_tokens,
    receiver_skew: imb.receiver_skew,
    expert_classes: classes,
    f_eq: imb.effective_expert_load_imbalance_factor,
    s_eq: imb.receiver_skew,
    W_eq: imb.hot_experts_on_device,
    busiest_device_experts_active: imb.hot_experts_on_device + imb.active_remaining_experts,
    eplb_max_replicas: 1,
    eplb_busiest_device_load_ratio: 1,
  };
}

/** The worst-case model's own load vector: W hot experts at h (experts 0..W-1, together), the rest at r. */
function worstCaseCounts(c: RoutingFields, T: number): Float64Array {
  const imb = computeImbalance(c, T);
  const E = c.num_routed_experts, W = c.num_worst_case_experts;
  return Float64Array.from({ length: E }, (_, i) => (i < W ? imb.hot_expert_tokens : imb.remaining_expert_tokens));
}

interface Placement {
  /** Logical expert of each slot, device-major. */
  slotExpert: Int32Array;
  /** Replicas of each expert (traffic splits evenly over them). */
  replicas: Int32Array;
  slotsPerDevice: number[];
}

/** Contiguous blocks of D experts per device (the last device may hold fewer), as NeuSim and the seed assume. */
function contiguous(E: number, EP: number): Placement {
  const D = expertsOnBusiestDevice(E, EP);
  const slotsPerDevice = Array.from({ length: EP }, (_, d) => Math.max(0, Math.min(D, E - d * D)));
  return { slotExpert: Int32Array.from({ length: E }, (_, i) => i), replicas: new Int32Array(E).fill(1), slotsPerDevice };
}

function eplbPlacement(weights: Float64Array, c: RoutingFields): Placement {
  const E = c.num_routed_experts, EP = c.expert_parallelism_degree, R = E + c.num_redundant_experts;
  const policy = c.eplb_policy === "none" ? "auto" : c.eplb_policy;
  const plan = rebalanceExperts(Array.from(weights), R, c.eplb_groups, c.eplb_nodes, EP, policy);
  return { slotExpert: Int32Array.from(plan.phy2log), replicas: Int32Array.from(plan.logcnt), slotsPerDevice: new Array<number>(EP).fill(R / EP) };
}

interface Busiest {
  load: number;
  /** Tokens of each slot on the busiest device. */
  slots: number[];
}

function busiestDevice(counts: Float64Array, p: Placement): Busiest {
  let best: Busiest = { load: -1, slots: [] };
  let s = 0;
  for (const n of p.slotsPerDevice) {
    const slots: number[] = [];
    let load = 0;
    for (let j = 0; j < n; j++, s++) {
      const e = p.slotExpert[s];
      const t = counts[e] / p.replicas[e];
      slots.push(t);
      load += t;
    }
    if (load > best.load) best = { load, slots };
  }
  return best;
}

/**
 * Slots with tokens, grouped by row count (ceil of their tokens), most rows
 * first. Slots with less than one token (replica shares, measured averages)
 * are run as the seed's decode rule does: only as many as the tokens they hold
 * together, min(n, ceil(sum)), one row each.
 */
function classesOf(slots: readonly number[]): ExpertClass[] {
  const byRows = new Map<number, number>();
  let fractional = 0, fractionalTokens = 0;
  for (const t of slots) {
    if (t <= 0) continue;
    if (snapToInteger(t) < 1) {
      fractional++;
      fractionalTokens += t;
      continue;
    }
    const rows = robustCeil(t);
    byRows.set(rows, (byRows.get(rows) ?? 0) + 1);
  }
  if (fractional > 0) byRows.set(1, (byRows.get(1) ?? 0) + Math.min(fractional, robustCeil(fractionalTokens)));
  return [...byRows.entries()].sort((a, b) => b[0] - a[0]).map(([rows, experts]) => ({ rows, experts }));
}

/**
 * Uniform routing without EPLB and routing_samples = 0: the closed forms. The
 * busiest device (s x A tokens over its D experts) is costed as its most-loaded
 * expert (f x u tokens) and the others sharing the rest evenly.
 */
function uniformClosed(c: RoutingFields, T: number): Routing {
  const E = c.num_routed_experts, K = c.num_activated_routed_experts_per_token, EP = c.expert_parallelism_degree;
  const cf = uniformClosedForm(E, K, EP, T);
  const u = (T * K) / E, A = (T * K) / EP;
  const D = expertsOnBusiestDevice(E, EP);
  const L = cf.s * A;
  const hot = Math.min(cf.f * u, L, T);
  const slots = [hot, ...new Array<number>(D - 1).fill(D > 1 ? (L - hot) / (D - 1) : 0)];
  const classes = classesOf(slots);
  return {
    effective_expert_load_imbalance_factor: cf.f, tokens_per_dispatch: T, hot_expert_tokens: hot,
    remaining_expert_tokens: D > 1 ? (L - hot) / (D - 1) : 0, experts_on_busiest_device: D,
    hot_experts_on_device: classes[0]?.experts ?? 0, hot_expert_seqlen: classes[0]?.rows ?? 0,
    active_remaining_experts: classes.slice(1).reduce((n, k) => n + k.experts, 0), remaining_expert_seqlen: classes[1]?.rows ?? 0,
    busiest_device_tokens: L, mean_device_tokens: A, receiver_skew: cf.s, expert_classes: classes,
    f_eq: cf.f, s_eq: cf.s, W_eq: worstCaseEquivalentW(cf.f, cf.s, E, D), busiest_device_experts_active: cf.activeExperts,
    eplb_max_replicas: 1, eplb_busiest_device_load_ratio: 1,
  };
}

function sampled(c: RoutingFields, T: number): Routing {
  const E = c.num_routed_experts, K = c.num_activated_routed_experts_per_token, EP = c.expert_parallelism_degree;
  const useEplb = c.eplb_policy !== "none";
  if (useEplb) {
    const why = eplbShapeError(E, E + c.num_redundant_experts, c.eplb_groups, c.eplb_nodes, EP, c.eplb_policy as EplbPolicy);
    if (why) throw new ConfigError("eplb_policy", c.eplb_policy, `cannot build this EPLB shape: ${why}`);
  } else if (c.num_redundant_experts > 0) {
    throw new ConfigError("num_redundant_experts", c.num_redundant_experts, "redundant experts need an eplb_policy (hierarchical, global or auto) to place them");
  }
  let measured: number[] | undefined;
  if (c.expert_load_model === "measured") {
    measured = measuredLoadsOf(c.expert_load_file);
    if (!measured) throw new ConfigError("expert_load_file", c.expert_load_file, "the measured load model needs a loads file (CSV or JSON) with one value per expert");
    if (measured.length !== E) throw new ConfigError("expert_load_file", c.expert_load_file, `has ${measured.length} experts, the model ${E}`);
  }
  const deterministic = c.expert_load_model === "measured" || c.expert_load_model === "worst_case";
  const N = deterministic ? 1 : c.routing_samples > 0 ? c.routing_samples : DEFAULT_ROUTING_SAMPLES;
  const params = { E, K, T, zipfExponent: c.zipf_exponent, powerLawAlpha: c.power_law_alpha, measured };
  const draw = (sample: number, stream: number) => (c.expert_load_model === "worst_case"
    ? worstCaseCounts(c, T)
    : sampleCounts(c.expert_load_model, params, new Rng(c.routing_seed, stream, sample, T)));
  const u = (T * K) / E, A = (T * K) / EP;
  const blocks = contiguous(E, EP);
  const results: { busiest: Busiest; plain: number; fmax: number; maxReplicas: number }[] = [];
  for (let n = 0; n < N; n++) {
    const counts = draw(n, 0);
    let placement = blocks;
    let maxReplicas = 1;
    if (useEplb) {
      // The plan sees these loads (an oracle) or another sample's (the lag a serving engine lives with).
      const planOn = c.eplb_plan_source === "same" || deterministic ? counts : draw(n, 1);
      placement = eplbPlacement(planOn, c);
      maxReplicas = Math.max(...placement.replicas);
    }
    let fmax = 0;
    for (let i = 0; i < E; i++) fmax = Math.max(fmax, counts[i]);
    results.push({ busiest: busiestDevice(counts, placement), plain: busiestDevice(counts, blocks).load, fmax, maxReplicas });
  }
  const mean = (f: (r: (typeof results)[number]) => number) => results.reduce((s, r) => s + f(r), 0) / N;
  const meanLoad = mean((r) => r.busiest.load);
  // The representative sample: busiest load closest to the mean (first on ties); its experts are costed.
  let rep = results[0];
  for (const r of results) if (Math.abs(r.busiest.load - meanLoad) < Math.abs(rep.busiest.load - meanLoad)) rep = r;
  const classes = classesOf(rep.busiest.slots);
  const fEq = mean((r) => r.fmax) / u;
  const sEqRaw = meanLoad / A;
  const sEq = EP > 1 ? (Math.abs(sEqRaw - 1) <= 1e-12 ? 1 : sEqRaw) : 1;
  const D = rep.busiest.slots.length;
  const sorted = [...rep.busiest.slots].sort((a, b) => b - a);
  const others = sorted.slice(classes[0]?.experts ?? 0).filter((t) => t > 0);
  return {
    effective_expert_load_imbalance_factor: fEq,
    tokens_per_dispatch: T,
    hot_expert_tokens: sorted[0] ?? 0,
    remaining_expert_tokens: others.length ? others.reduce((a, b) => a + b, 0) / others.length : 0,
    experts_on_busiest_device: D,
    hot_experts_on_device: classes[0]?.experts ?? 0,
    hot_expert_seqlen: classes[0]?.rows ?? 0,
    active_remaining_experts: classes.slice(1).reduce((s, k) => s + k.experts, 0),
    remaining_expert_seqlen: classes[1]?.rows ?? 0,
    busiest_device_tokens: meanLoad,
    mean_device_tokens: A,
    receiver_skew: sEq,
    expert_classes: classes,
    f_eq: fEq,
    s_eq: sEq,
    W_eq: worstCaseEquivalentW(fEq, sEq, E, expertsOnBusiestDevice(E, EP)),
    busiest_device_experts_active: mean((r) => classesOf(r.busiest.slots).reduce((n, k) => n + k.experts, 0)),
    eplb_max_replicas: Math.max(...results.map((r) => r.maxReplicas)),
    eplb_busiest_device_load_ratio: useEplb ? meanLoad / mean((r) => r.plain) : 1,
  };
}
