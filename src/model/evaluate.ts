/**
 * Evaluate one design point: resolve and validate the config, run the imbalance
 * model, build the phase's operator graph, time it, and summarise. Pure.
 */
import { configKey, resolveConfig, type ConfigInput, type MoeConfig } from "./config.js";
import { buildPhase, emitPhase, phaseShape, type PhaseShape } from "./graph.js";
import { computeRouting, type Routing as Imbalance } from "./routing/route.js";
import { memoryFootprintBytes } from "./memory-footprint.js";
import { neusimSkipReason } from "./neusim-rules.js";
import { ENERGY_COMPONENTS, opEnergyOf, type EnergyComponent } from "./energy/op-energy.js";
import { MOE_BLOCKS, opConfigString, type Block, type Op } from "./ops/op.js";
import { deriveParallelism, type Parallelism } from "./parallelism.js";
import { blockIndex, giveBackTimer, PhaseSums, takeTimer } from "./timing/block-timer.js";
import { EnergySink } from "./energy/energy-sink.js";
import type { PhaseEnergy } from "./energy/phase-energy.js";
import { backendFor, type OpTiming } from "./timing/backend.js";

export interface TimedOp extends Op {
  timing: OpTiming;
}

/** Model outputs, in CSV column order. Breakdown times are per layer (per decode step in decode). */
export const OUTPUT_COLUMNS = [
  "effective_expert_load_imbalance_factor", "tokens_per_dispatch", "hot_expert_tokens", "remaining_expert_tokens",
  "experts_on_busiest_device", "hot_experts_on_device", "hot_expert_seqlen", "active_remaining_experts",
  "remaining_expert_seqlen", "receiver_skew",
  "phase_time_ns", "prefill_time_ns", "decode_time_per_token_ns", "moe_layer_time_ns", "attention_ns", "router_ns",
  "dispatch_all_to_all_ns", "hot_experts_ns", "remaining_experts_ns", "shared_experts_ns", "combine_all_to_all_ns",
  "combine_ns", "ffn_tp_collective_ns", "memory_footprint_GB", "out_of_memory",
  "stage_time_ns", "pipeline_ici_ns", "neusim_valid", "neusim_reason",
  "f_eq", "s_eq", "W_eq", "busiest_device_tokens", "mean_device_tokens", "busiest_device_experts_active",
  "eplb_max_replicas", "eplb_busiest_device_load_ratio",
] as const;
export type OutputColumn = (typeof OUTPUT_COLUMNS)[number];
export type Outputs = Record<OutputColumn, number | boolean | string | null>;

export interface Evaluation {
  config: MoeConfig;
  config_key: string;
  imbalance: Imbalance;
  outputs: Outputs;
  ops: TimedOp[];
}

export function evaluate(input: ConfigInput): Evaluation {
  const config = resolveConfig(input);
  return evaluateResolved(config);
}

export function evaluateResolved(config: MoeConfig): Evaluation {
  const par = deriveParallelism(config);
  const ph = phaseShape(config, par);
  const imbalance = computeRouting(config, par.localBatch * ph.seqlen);
  const backend = backendFor(config);
  const phase = buildPhase(config, par, ph, imbalance);
  const ops = phase.ops as TimedOp[];
  const sums = new PhaseSums();
  // Add up group by group, as the sweep's timer does, so both give the same doubles.
  const starts = new Map(phase.groups.map(([a, b]) => [a, b]));
  let groupEnd = -1;
  ops.forEach((op, i) => {
    if (starts.has(i) && groupEnd < 0) {
      groupEnd = starts.get(i)!;
      sums.beginGroup();
    }
    op.timing = backend.time(op);
    sums.add(op.block, op.timing.execution_time_ns, op.count);
    if (i + 1 === groupEnd) {
      sums.endGroup();
      groupEnd = -1;
    }
  });
  return { config, config_key: configKey(config), imbalance, outputs: summarize(config, par, ph, imbalance, sums), ops };
}

/** The outputs alone, for sweeps: the same graph timed as numbers, with no operator objects kept. */
export function evaluateOutputs(config: MoeConfig): Outputs {
  const par = deriveParallelism(config);
  const ph = phaseShape(config, par);
  const imbalance = computeRouting(config, par.localBatch * ph.seqlen);
  const timer = takeTimer(backendFor(config));
  try {
    emitPhase(timer, config, par, ph, imbalance);
    return summarize(config, par, ph, imbalance, timer.sums);
  } finally {
    giveBackTimer(timer);
  }
}

/**
 * The outputs and the phase's energy (and, with `withMoe`, its MoE-layer operators' alone), for
 * energy columns: the graph timed as numbers, each operator's energy summed as it is emitted.
 */
export function evaluatePhaseEnergy(config: MoeConfig, withMoe: boolean, components = true): { outputs: Outputs; imbalance: Imbalance; energy: PhaseEnergy; moe: PhaseEnergy | undefined } {
  const par = deriveParallelism(config);
  const ph = phaseShape(config, par);
  const imbalance = computeRouting(config, par.localBatch * ph.seqlen);
  const sink = new EnergySink(backendFor(config), config, imbalance.hot_experts_on_device, withMoe, components);
  try {
    emitPhase(sink, config, par, ph, imbalance);
    return { outputs: summarize(config, par, ph, imbalance, sink.timer.sums), imbalance, energy: sink.all.result(), moe: sink.moe?.result() };
  } finally {
    sink.release();
  }
}

const MOE_BLOCK_INDICES = MOE_BLOCKS.map(blockIndex);

function summarize(config: MoeConfig, par: Parallelism, ph: PhaseShape, imbalance: Imbalance, sums: PhaseSums): Outputs {
  const perLayer = (b: Block) => sums.byBlock[blockIndex(b)] / ph.count;
  // NeuSim: a phase takes pp x (one stage + its pipeline transfers).
  const phaseNs = config.pipeline_parallelism_degree * (sums.stageNs + sums.pipelineNs);
  let moeLayerNs = 0;
  for (let i = 0; i < MOE_BLOCK_INDICES.length; i++) moeLayerNs += sums.byBlock[MOE_BLOCK_INDICES[i]] / ph.count;
  const footprintGB = memoryFootprintBytes(config, par) / 1024 / 1024 / 1024;
  const reason = neusimSkipReason(config, footprintGB);
  const isDecode = config.phase === "decode";
  return {
    effective_expert_load_imbalance_factor: imbalance.effective_expert_load_imbalance_factor,
    tokens_per_dispatch: imbalance.tokens_per_dispatch,
    hot_expert_tokens: imbalance.hot_expert_tokens,
    remaining_expert_tokens: imbalance.remaining_expert_tokens,
    experts_on_busiest_device: imbalance.experts_on_busiest_device,
    hot_experts_on_device: imbalance.hot_experts_on_device,
    hot_expert_seqlen: imbalance.hot_expert_seqlen,
    active_remaining_experts: imbalance.active_remaining_experts,
    remaining_expert_seqlen: imbalance.remaining_expert_seqlen,
    receiver_skew: imbalance.receiver_skew,
    phase_time_ns: phaseNs,
    prefill_time_ns: isDecode ? null : phaseNs,
    decode_time_per_token_ns: isDecode ? phaseNs / config.output_seqlen : null,
    moe_layer_time_ns: moeLayerNs,
    // Per layer of the stage (with pp > 1, attention includes NeuSim's all-layers count).
    attention_ns: perLayer("attention"),
    router_ns: perLayer("router"),
    dispatch_all_to_all_ns: perLayer("dispatch_all_to_all"),
    hot_experts_ns: perLayer("hot_experts"),
    remaining_experts_ns: perLayer("remaining_experts"),
    shared_experts_ns: perLayer("shared_experts"),
    combine_all_to_all_ns: perLayer("combine_all_to_all"),
    combine_ns: perLayer("combine"),
    ffn_tp_collective_ns: perLayer("ffn_tp_collective"),
    memory_footprint_GB: footprintGB,
    out_of_memory: footprintGB > config.hbm_size_GB,
    stage_time_ns: sums.stageNs,
    pipeline_ici_ns: sums.pipelineNs,
    neusim_valid: reason === "",
    neusim_reason: reason,
    f_eq: imbalance.f_eq,
    s_eq: imbalance.s_eq,
    W_eq: imbalance.W_eq,
    busiest_device_tokens: imbalance.busiest_device_tokens,
    mean_device_tokens: imbalance.mean_device_tokens,
    busiest_device_experts_active: imbalance.busiest_device_experts_active,
    eplb_max_replicas: imbalance.eplb_max_replicas,
    eplb_busiest_device_load_ratio: imbalance.eplb_busiest_device_load_ratio,
  };
}

/** Per-operator columns, as `moesweep eval --ops` lists them. */
export const OP_COLUMNS = [
  "fusion_index", "description", "opcode", "block", "config", "count", "execution_time_ns", "compute_time_ns",
  "memory_time_ns", "ici_time_ns", "mxu_time_ns", "vpu_time_ns", "vmem_time_ns", "bytes_accessed", "flop_count",
  "bounded_by", "static_energy_J", "dynamic_energy_J", "total_energy_J",
  ...ENERGY_COMPONENTS.map((c) => `static_energy_${c}_J` as const),
  ...ENERGY_COMPONENTS.map((c) => `dynamic_energy_${c}_J` as const),
  // The energy model's times: rescaled to its 1.7 GHz and lengthened by power-gating wake-ups.
  "energy_execution_time_ns", "energy_mxu_time_ns", "energy_vpu_time_ns", "energy_vmem_time_ns", "energy_memory_time_ns", "energy_ici_time_ns",
] as const;

/** One operator as `eval --ops` lists it; energies are NeuSim's model per single execution (J), under the config's power_gating_strategy. */
export function opRecord(op: TimedOp, config: MoeConfig): Record<(typeof OP_COLUMNS)[number], string | number> {
  const t = op.timing;
  const e = opEnergyOf(op, config);
  return {
    fusion_index: op.fusion_index, description: op.description, opcode: op.opcode, block: op.block,
    config: opConfigString(op), count: op.count, execution_time_ns: t.execution_time_ns, compute_time_ns: t.compute_time_ns,
    memory_time_ns: t.memory_time_ns, ici_time_ns: t.ici_time_ns, mxu_time_ns: t.mxu_time_ns,
    vpu_time_ns: t.vpu_time_ns, vmem_time_ns: t.vmem_time_ns, bytes_accessed: t.bytes_accessed,
    flop_count: op.flops, bounded_by: t.bounded_by,
    static_energy_J: e.static_energy_J, dynamic_energy_J: e.dynamic_energy_J, total_energy_J: e.total_energy_J,
    ...(Object.fromEntries(ENERGY_COMPONENTS.flatMap((c) => [[`static_energy_${c}_J`, e.static_J[c]], [`dynamic_energy_${c}_J`, e.dynamic_J[c]]])) as
      Record<`${"static" | "dynamic"}_energy_${EnergyComponent}_J`, number>),
    energy_execution_time_ns: e.executionNs, energy_mxu_time_ns: e.componentNs.sa, energy_vpu_time_ns: e.componentNs.vu,
    energy_vmem_time_ns: e.componentNs.vmem, energy_memory_time_ns: e.componentNs.hbm, energy_ici_time_ns: e.componentNs.ici,
  };
}
