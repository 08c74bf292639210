/**
 * NeuSim's run rules as data: which configurations NeuSim's run_sim.py would skip,
 * and its reason, ported from run_sim_lib.validate_parallelism_config_llm[_moe]
 * (with run_sim's allow_oom = 1.5). moesweep evaluates every configuration; these
 * rules only label rows (`neusim_valid`, `neusim_reason`). All DCN degrees are 1
 * here, so NeuSim's DCN rules never fire. Pure.
 */
import { chipSpec } from "./catalog/neusim-files.js";
import { ConfigError, resolveConfig, type ConfigInput, type MoeConfig } from "./config.js";
import { memoryFootprintBytes } from "./memory-footprint.js";
import { deriveParallelism } from "./parallelism.js";
import { pyFixed } from "./numeric.js";

/** run_sim.py calls the validator with allow_oom = 1.5: a footprint above 1.5x HBM is skipped. */
export const NEUSIM_OOM_FACTOR = 1.5;

/** NeuSim's chip version string, its ChipConfig `name`: "5p" for tpuv5p. */
export function chipVersion(chip: string): string {
  return chipSpec(chip)?.name ?? chip.replace(/^tpuv/, "");
}

/** The name run_sim.py knows a model by: its catalog name, or a config file's name without folder and .json. */
function neusimModelName(model: string): string {
  return model.replace(/^.*[\\/]/, "").replace(/\.json$/i, "");
}

/** The head of NeuSim's log line for a skipped configuration (dense or MoE validator); made only when a rule is broken. */
function logHead(c: MoeConfig, moe: boolean): string {
  const dp = c.data_parallelism_degree, tp = c.tensor_parallelism_degree, pp = c.pipeline_parallelism_degree;
  const degrees = moe ? `dp${dp}-tp${tp}-pp${pp}-ep${c.expert_parallelism_degree}-dpdcn1-tpdcn1-ppdcn1-epdcn1` : `dp${dp}-tp${tp}-pp${pp}-dpdcn1-tpdcn1-ppdcn1`;
  return `Skipping ${neusimModelName(c.model)} v${chipVersion(c.chip)} ${degrees}-bs${c.global_batch_size} since`;
}

/**
 * NeuSim's log line for the first rule a configuration breaks, or "" when run_sim
 * would simulate it. `footprintGiB` is the phase's memory footprint (NeuSim's GB).
 */
export function neusimSkipReason(c: MoeConfig, footprintGiB: number): string {
  const dp = c.data_parallelism_degree, tp = c.tensor_parallelism_degree, pp = c.pipeline_parallelism_degree;
  const ep = c.expert_parallelism_degree;
  const v = chipVersion(c.chip);
  const B = c.global_batch_size;
  // Dense rules first (validate_parallelism_config_llm), in NeuSim's order.
  if (pp > c.num_layers) return `${logHead(c, false)} total PP=${pp} > number of layers = ${c.num_layers}`;
  if ((v === "2" || v === "3") && dp > 1 && tp > 1 && pp > 1) return `${logHead(c, false)} TPUv2 and TPUv3 only support 2D torus`;
  const pod = dp * tp * pp;
  if ((v === "2" || v === "5e" || v === "6e") && pod > 256) return `${logHead(c, false)} TPUv2/v5e/v6e Pod has a max of 256 chips`;
  if (v === "3" && pod > 1024) return `${logHead(c, false)} TPUv3 Pod has a max of 512 chips`;
  if (v === "4" && pod > 4096) return `${logHead(c, false)} TPUv4 Pod has a max of 4096 chips`;
  if (v === "5p" && pod > 6144) return `${logHead(c, false)} TPUv5p Pod has a max of 6144 chips`;
  if (v === "6p" && pod > 8192) return `${logHead(c, false)} TPUv6p Pod has a max of 8192 chips`;
  if (dp * pp > B) return `${logHead(c, false)} dp * dp_dcn * pp * pp_dcn > global batch size`;
  if (footprintGiB > c.hbm_size_GB * NEUSIM_OOM_FACTOR) {
    return `${logHead(c, false)} it is OOM. Mem footprint = ${pyFixed(footprintGiB, 2)} GB, HBM size = ${c.hbm_size_GB} GB, oom_factor = ${NEUSIM_OOM_FACTOR}`;
  }
  if (c.ffn_type === "llama") return ""; // a dense model: validate_parallelism_config_llm only
  // Then the MoE rules (validate_parallelism_config_llm_moe).
  if (ep > dp * tp) return `${logHead(c, true)} ep > dp * tp`;
  if (dpTpAxes(c) === 1 && ep !== dp && ep !== tp) return `${logHead(c, true)} ep must be either dp or tp when we only have one axis for dp+tp`;
  if (c.num_routed_experts < ep) return `${logHead(c, true)} num_routed_experts < ep`;
  return "";
}

/** ICI axes NeuSim gives data + tensor parallelism (map_parallelism_to_ici_axes_llm: TP > DP > PP). */
function dpTpAxes(c: MoeConfig): number {
  const dp = c.data_parallelism_degree > 1, tp = c.tensor_parallelism_degree > 1, pp = c.pipeline_parallelism_degree > 1;
  const physical = c.ICI_topology === "TORUS_2D" ? 2 : 3;
  const enabled = Number(dp) + Number(tp) + Number(pp);
  if (enabled === 1) return dp || tp ? physical : 0;
  if (enabled === 2) return tp ? physical - 1 + Number(dp) : physical - 1;
  return enabled === 3 ? 2 : 0;
}

/**
 * NeuSim's verdict for a configuration input, without costing it (for sweep
 * filters): a configuration the model rejects is not valid for NeuSim either.
 */
export function neusimVerdict(input: ConfigInput): { neusim_valid: boolean; neusim_reason: string } {
  let reason: string;
  try {
    const c = resolveConfig(input);
    reason = neusimSkipReason(c, memoryFootprintBytes(c, deriveParallelism(c)) / 1024 / 1024 / 1024);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    reason = `rejected by moesweep: ${err.message}`;
  }
  return { neusim_valid: reason === "", neusim_reason: reason };
}
