/**
 * The MoE expert-routing load-imbalance model (shared/docs/imbalance-model.md):
 * what the busiest device of an expert-parallel group computes and receives.
 * All quantities are in real (unrounded) units; rounding happens only where a
 * matmul needs whole rows. Pure.
 */
import { validateImbalanceFields } from "./config.js";
import { robustCeil, snapToInteger } from "./numeric.js";

export interface ImbalanceInput {
  /** E */ num_routed_experts: number;
  /** K */ num_activated_routed_experts_per_token: number;
  /** f, -1 = worst case (E/K) */ expert_load_imbalance_factor: number;
  /** W */ num_worst_case_experts: number;
  /** EP */ expert_parallelism_degree: number;
}

export interface Imbalance {
  effective_expert_load_imbalance_factor: number;
  /** T: tokens dispatched together. */
  tokens_per_dispatch: number;
  /** h: tokens on each hot expert. */
  hot_expert_tokens: number;
  /** r: tokens on each non-hot expert. */
  remaining_expert_tokens: number;
  /** D: experts on the busiest device. */
  experts_on_busiest_device: number;
  /** Wd: hot experts on the busiest device. */
  hot_experts_on_device: number;
  /** Rows of each hot expert's matmuls: max(1, ceil(h)). */
  hot_expert_seqlen: number;
  /** Remaining experts that actually run on the busiest device. */
  active_remaining_experts: number;
  /** Rows of each active remaining expert's matmuls (0 when none run). */
  remaining_expert_seqlen: number;
  /** L: tokens processed by the busiest device. */
  busiest_device_tokens: number;
  /** A: mean tokens per device. */
  mean_device_tokens: number;
  /** Dispatch/combine all-to-all receiver skew, L/A (exactly 1 when EP = 1). */
  receiver_skew: number;
}

/** f_eff = E/K for the -1 sentinel, else f. */
export function effectiveFactor(E: number, K: number, f: number): number {
  return f === -1 ? E / K : f;
}

/** D = max(1, ceil(E / EP)): the busiest device holds the remainder experts. */
export function expertsOnBusiestDevice(E: number, EP: number): number {
  return Math.max(1, robustCeil(E / EP));
}

/** Receiver skew L/A; independent of T, so computed at T = 1. */
export function receiverSkew(p: ImbalanceInput): number {
  return computeImbalance(p, 1).receiver_skew;
}

/**
 * L/A from per-token loads, so the skew is exactly independent of T; values
 * within float noise of 1 (the balanced limit) are exactly 1.
 */
function skewPerToken(E: number, K: number, W: number, EP: number, fEff: number, D: number, Wd: number): number {
  const h1 = (K * fEff) / E;
  const r1 = E === W ? 0 : Math.max(0, (K - W * h1) / (E - W));
  const skew = ((Wd * h1 + (D - Wd) * r1) * EP) / K;
  return Math.abs(skew - 1) <= 1e-12 ? 1 : skew;
}

/** Evaluate the imbalance model for T tokens. Throws ConfigError on invalid input. */
export function computeImbalance(p: ImbalanceInput, tokens: number): Imbalance {
  validateImbalanceFields(p);
  const E = p.num_routed_experts;
  const K = p.num_activated_routed_experts_per_token;
  const W = p.num_worst_case_experts;
  const EP = p.expert_parallelism_degree;
  const T = tokens;

  const fEff = effectiveFactor(E, K, p.expert_load_imbalance_factor);
  const h = (T * K * fEff) / E;
  const r = E === W ? 0 : Math.max(0, (T * K - W * h) / (E - W));
  const D = expertsOnBusiestDevice(E, EP);
  const Wd = Math.min(W, D);
  const L = Wd * h + (D - Wd) * r;
  const A = (T * K) / EP;
  const skew = EP > 1 ? skewPerToken(E, K, W, EP, fEff, D, Wd) : 1;

  const Dr = D - Wd;
  let activeRemaining = 0;
  let remainingSeqlen = 0;
  if (Dr > 0 && r > 0) {
    if (snapToInteger(r) >= 1) {
      activeRemaining = Dr;
      remainingSeqlen = robustCeil(r);
    } else {
      // Decode de-inflation: only the routed number of experts run, one token each.
      activeRemaining = Math.min(Dr, robustCeil(Dr * r));
      remainingSeqlen = 1;
    }
  }

  return {
    effective_expert_load_imbalance_factor: fEff,
    tokens_per_dispatch: T,
    hot_expert_tokens: h,
    remaining_expert_tokens: r,
    experts_on_busiest_device: D,
    hot_experts_on_device: Wd,
    hot_expert_seqlen: Math.max(1, robustCeil(h)),
    active_remaining_experts: activeRemaining,
    remaining_expert_seqlen: remainingSeqlen,
    busiest_device_tokens: L,
    mean_device_tokens: A,
    receiver_skew: skew,
  };
}
