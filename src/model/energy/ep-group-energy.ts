/**
 * The energy of imbalance across an expert-parallel group (beyond NeuSim,
 * which times one chip). The MoE layers end when the slowest device ends:
 * the busiest device (the model's, holding the hot experts) and EP - 1 mean
 * devices each do their share and then wait, paying idle power while they
 * wait. A waiting chip's idle power is NeuSim's carbon-model idle power under
 * the point's power-gating setting: without gating (NoPG) its full static
 * power, SA and VU counted once; under any other setting a gated chip's, 8.97 %
 * of HBM static power plus "other" (gatedIdlePowerW). Pure.
 *
 *   T = max(T_busiest, T_mean)
 *   ep_group_energy_J = E_busiest + P_idle x (T - T_busiest) + (EP - 1) x (E_mean + P_idle x (T - T_mean))
 *   imbalance_energy_overhead = ep_group_energy_J / (EP x E_mean)
 *
 * E and T are one chip's energy and time under the power-gating setting (its
 * wake-up overheads included) over the phase's MoE-layer operators (MOE_BLOCKS; attention is the same on every device). The mean
 * device is the same point with balanced experts: the worst-case model at
 * f = 1, no EPLB. It holds E / EP experts only when EP divides E, so the
 * columns are defined there and null otherwise (and for dense models). A
 * worst-case point whose effective factor is already 1 is its own mean device
 * (overhead exactly 1, not 1 plus the rounding of another summation order).
 * The model's busiest device can finish first (its hot experts' larger matmuls
 * tile better), so the max matters.
 */
import type { MoeConfig } from "../config.js";
import { evaluatePhaseEnergy } from "../evaluate.js";
import { chipPower } from "./chip-power.js";
import { gatedIdlePowerW } from "./carbon.js";
import type { PhaseEnergy } from "./phase-energy.js";

export interface EpGroupEnergy {
  /** One MoE-layer share of the phase (J, one chip): the busiest device, and the mean device. */
  busiest_device_moe_energy_J: number | null;
  mean_device_moe_energy_J: number | null;
  /** Seconds a mean device waits for the busiest one over the phase's MoE layers (0 if it is the slower). */
  ep_wait_s: number | null;
  /** Seconds the busiest device waits for the mean ones (0 unless they are slower). */
  busiest_device_wait_s: number | null;
  ep_group_energy_J: number | null;
  imbalance_energy_overhead: number | null;
}

/** The columns where they are not defined (EP does not divide E, a dense model), or not asked for. */
export const NO_EP_GROUP: Readonly<EpGroupEnergy> = Object.freeze({
  busiest_device_moe_energy_J: null, mean_device_moe_energy_J: null, ep_wait_s: null, busiest_device_wait_s: null, ep_group_energy_J: null, imbalance_energy_overhead: null,
});

const share = (e: PhaseEnergy) => ({ J: e.total_energy_J, ns: e.exe_time_ns });

/**
 * The mean device's configuration: balanced experts. W is kept so that its
 * operators are listed (and their energies summed) in the busiest device's order.
 */
function balancedConfig(c: MoeConfig): MoeConfig {
  return { ...c, expert_load_model: "worst_case", expert_load_imbalance_factor: 1, num_redundant_experts: 0, eplb_policy: "none" };
}

/** The last mean device costed: a sweep's fastest axes (f, W, routing) share it, so consecutive points reuse it. */
let lastMean: { config: MoeConfig; share: { J: number; ns: number } } | undefined;

function sameConfig(a: MoeConfig, b: MoeConfig): boolean {
  for (const k in a) if (a[k as keyof MoeConfig] !== b[k as keyof MoeConfig]) return false;
  return true;
}

function meanShare(config: MoeConfig): { J: number; ns: number } {
  const balanced = balancedConfig(config);
  if (lastMean && sameConfig(lastMean.config, balanced)) return lastMean.share;
  const mean = share(evaluatePhaseEnergy(balanced, true).moe!);
  lastMean = { config: balanced, share: mean };
  return mean;
}

const isBalanced = (c: MoeConfig, effectiveFactor: number) =>
  c.expert_load_model === "worst_case" && c.num_redundant_experts === 0 && effectiveFactor === 1;

/**
 * `busiestMoe`: the point's energy over its MoE-layer operators (evaluatePhaseEnergy's `moe`, or
 * moePhaseEnergyOf its operator list); `effectiveFactor`: its effective_expert_load_imbalance_factor.
 */
export function epGroupEnergy(config: MoeConfig, busiestMoe: PhaseEnergy, effectiveFactor: number): Readonly<EpGroupEnergy> {
  const EP = config.expert_parallelism_degree;
  if (config.ffn_type === "llama" || config.num_routed_experts % EP !== 0) return NO_EP_GROUP;
  const busy = share(busiestMoe);
  const mean = isBalanced(config, effectiveFactor) ? busy : meanShare(config);
  const endNs = Math.max(busy.ns, mean.ns);
  const meanWaitS = (endNs - mean.ns) / 1e9, busyWaitS = (endNs - busy.ns) / 1e9;
  const idleW = gatedIdlePowerW(config, chipPower(config.chip), config.power_gating_strategy);
  const group = busy.J + idleW * busyWaitS + (EP - 1) * (mean.J + idleW * meanWaitS);
  return {
    busiest_device_moe_energy_J: busy.J, mean_device_moe_energy_J: mean.J, ep_wait_s: meanWaitS, busiest_device_wait_s: busyWaitS,
    ep_group_energy_J: group, imbalance_energy_overhead: group / (EP * mean.J),
  };
}
