/**
 * Per-chip memory footprint of DeepSeek inference, ported from NeuSim's
 * memory_footprint_analysis_lib.get_deepseek_inference_mem_requirement
 * (formula quirks kept, e.g. wkv_a as a product of three dims). Pure.
 */
import type { MoeConfig } from "./config.js";
import type { Parallelism } from "./parallelism.js";
import { stageLayerSplit } from "./graph.js";

export function memoryFootprintBytes(c: MoeConfig, p: Parallelism): number {
  if (c.attention_type === "mha") return c.ffn_type === "llama" ? llamaFootprintBytes(c, p) : gqaMoeFootprintBytes(c, p);
  return deepseekFootprintBytes(c, p);
}

/**
 * A GQA MoE model (not a NeuSim path, so moesweep's own accounting, bf16):
 * the Llama path's attention weights, KV cache and attention activations, plus
 * the expert weights of the stage's MoE layers (routed over EP and ETP, shared
 * experts and the router), the dense layers' FFN, and MoE activations as the
 * DeepSeek path counts them.
 */
function gqaMoeFootprintBytes(c: MoeConfig, p: Parallelism): number {
  const s = c.phase === "decode" ? c.input_seqlen + c.output_seqlen : c.input_seqlen;
  const tp = c.tensor_parallelism_degree, ep = c.expert_parallelism_degree, etp = p.expertTensorParallelism;
  const M = c.d_model, D = c.d_head;
  const Nt = Math.ceil(c.num_heads / tp);
  const kvt = Math.ceil(c.num_kv_heads / tp);
  const kvh = tp <= kvt ? kvt : Nt;
  const B = p.localBatch, L = p.layersPerStage;
  const { moe, dense } = stageLayerSplit(c, p);
  const attention = L * (2 * M * kvh * D + M * Nt * D + Nt * D * M + B * s * Nt * D + 2 * B * s * kvh * D);
  const experts = moe * ((((3 * M * c.moe_d_ff) / etp) * c.num_routed_experts) / ep + ((3 * M * c.moe_d_ff) / etp) * c.num_shared_experts + c.num_routed_experts * M);
  const moeActivations = moe * ((2 * B * s * c.moe_d_ff) / etp);
  const denseFfn = dense * (3 * M * Math.ceil(c.d_ff / tp) + 2 * B * s * Math.max(Math.ceil(c.d_ff / tp), M));
  return 2 * (attention + experts + moeActivations + denseFfn);
}

/**
 * NeuSim's Llama footprint (memory_footprint_analysis_lib, bf16): weights and
 * activations of the stage's layers. Quirk kept: KV heads under TP are
 * ceil(kv/tp) only when tp <= that already-divided count, else the local query heads.
 */
function llamaFootprintBytes(c: MoeConfig, p: Parallelism): number {
  const s = c.phase === "decode" ? c.input_seqlen + c.output_seqlen : c.input_seqlen;
  const tp = c.tensor_parallelism_degree;
  const M = c.d_model, D = c.d_head;
  const Nt = Math.ceil(c.num_heads / tp), Ft = Math.ceil(c.d_ff / tp);
  const kvt = Math.ceil(c.num_kv_heads / tp);
  const kvh = tp <= kvt ? kvt : Nt;
  const B = p.localBatch, L = p.layersPerStage;
  const weights = 2 * M * kvh * D + M * Nt * D + Nt * D * M + 3 * M * Ft;
  const acts = B * s * Nt * D + 2 * B * s * kvh * D + 2 * B * s * Math.max(Ft, M);
  return 2 * L * (weights + acts);
}

function deepseekFootprintBytes(c: MoeConfig, p: Parallelism): number {
  const seqlen = c.phase === "decode" ? c.input_seqlen + c.output_seqlen : c.input_seqlen;
  const tp = c.tensor_parallelism_degree;
  const ep = c.expert_parallelism_degree;
  const etp = p.expertTensorParallelism;
  const bs = p.localBatch;
  const layers = p.layersPerStage;
  const qkHeadDim = c.qk_nope_head_dim + c.qk_rope_head_dim;
  let total = 0;
  // MLA weights (BF16)
  const wqA = c.d_model * c.q_lora_rank;
  const wqB = (c.q_lora_rank * c.num_heads * qkHeadDim) / tp;
  const wkvA = c.d_model * c.kv_lora_rank * c.qk_rope_head_dim;
  const wkvB = (c.kv_lora_rank * c.num_heads * (c.qk_rope_head_dim + c.v_head_dim)) / tp;
  const wo = (c.num_heads * c.v_head_dim * c.d_model) / tp;
  total += (wqA + wqB + wkvA + wkvB + wo) * layers * 2;
  // q activations: q_pe FP32 + FP8, q_nope FP8
  total += (bs * seqlen * c.num_heads * (c.qk_rope_head_dim * (4 + 1) + c.qk_nope_head_dim * 1)) / tp;
  // MoE FFN weights (FP8): 3 matrices per expert, experts spread over EP, split by ETP; gate weights.
  // NeuSim counts every layer as MoE; with first_k_dense_layers / moe_layer_interval the dense layers
  // hold a dense FFN instead (FP8, split by TP).
  const { moe, dense } = stageLayerSplit(c, p);
  const moeLayers = c.first_k_dense_layers === 0 && c.moe_layer_interval === 1 ? layers : moe;
  const ffnParams = ((((c.d_model * c.moe_d_ff * 3) / etp) * (c.num_shared_experts + c.num_routed_experts)) / ep) * moeLayers;
  const gateParams = c.num_routed_experts * c.d_model * moeLayers;
  total += (ffnParams + gateParams) * 1;
  if (moeLayers !== layers) total += ((3 * c.d_model * c.d_ff) / tp) * dense;
  // MoE activations (BF16), worst case: every token on one expert group
  total += ((bs * seqlen * c.moe_d_ff * 2) / etp) * 2 * moeLayers;
  // KV (FP8) + RoPE (FP32) cache, sequence-parallel over TP
  const kvBytesPerToken = (c.kv_lora_rank * 1 + c.qk_rope_head_dim * 4) * layers;
  total += (kvBytesPerToken * bs * seqlen) / tp;
  return pyRound(total);
}

/** Python's round(): halves to even. */
function pyRound(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
