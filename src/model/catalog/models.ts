/**
 * MoE models, as data: NeuSim's configs/models/*.json (platformxlab/NeuSim,
 * Apache-2.0; see NOTICE), with the system fields NeuSim merges in.
 */

/** NeuSim's operator generator for the model: DeepSeekOpsGenerator (MLA + MoE) or LLMOpsGenerator (Llama: multi-head attention + SwiGLU FFN). */
export type FfnType = "deepseek_moe" | "llama";
export const FFN_TYPES: readonly FfnType[] = ["deepseek_moe", "llama"];

export interface ModelSpec {
  /** NeuSim's ffn_type: which op graph the model uses. */
  ffn_type: FfnType;
  /**
   * Cost K/V projections and KV-cache reads with the KV head count (GQA as the
   * hardware runs it). NeuSim costs them with the query heads: false for
   * NeuSim's own entries, so they match it.
   */
  gqa_in_operators: boolean;
  d_model: number;
  num_heads: number;
  d_head: number;
  d_ff: number;
  moe_d_ff: number;
  num_layers: number;
  num_dense_layers: number;
  num_kv_heads: number;
  num_shared_experts: number;
  num_routed_experts: number;
  num_activated_routed_experts_per_token: number;
  num_limited_groups: number;
  q_lora_rank: number;
  kv_lora_rank: number;
  qk_nope_head_dim: number;
  qk_rope_head_dim: number;
  v_head_dim: number;
  /** Workload defaults from the same file. */
  global_batch_size: number;
  input_seqlen: number;
  output_seqlen: number;
  decode_width: number;
}

export const MODELS: Readonly<Record<string, ModelSpec>> = Object.freeze({
  "deepseekv3-671b": {
    ffn_type: "deepseek_moe", gqa_in_operators: false,
    d_model: 7168, num_heads: 128, d_head: 128, d_ff: 18432, moe_d_ff: 2048,
    num_layers: 61, num_dense_layers: 3, num_kv_heads: 128,
    num_shared_experts: 1, num_routed_experts: 256, num_activated_routed_experts_per_token: 8,
    num_limited_groups: 4,
    q_lora_rank: 1536, kv_lora_rank: 512, qk_nope_head_dim: 128, qk_rope_head_dim: 64, v_head_dim: 128,
    global_batch_size: 1, input_seqlen: 4096, output_seqlen: 512, decode_width: 1,
  },
  "deepseekv2-236b": {
    ffn_type: "deepseek_moe", gqa_in_operators: false,
    d_model: 5120, num_heads: 128, d_head: 128, d_ff: 12288, moe_d_ff: 1536,
    num_layers: 60, num_dense_layers: 1, num_kv_heads: 128,
    num_shared_experts: 2, num_routed_experts: 160, num_activated_routed_experts_per_token: 6,
    num_limited_groups: 3,
    q_lora_rank: 1536, kv_lora_rank: 512, qk_nope_head_dim: 128, qk_rope_head_dim: 64, v_head_dim: 128,
    global_batch_size: 1, input_seqlen: 4096, output_seqlen: 512, decode_width: 1,
  },
  // NeuSim's Llama entries (dense). The MoE and MLA fields do not apply: they hold neutral values
  // (one expert, all tokens on it) that no Llama operator reads.
  "llama2-13b": llama({ d_model: 5120, num_heads: 40, num_kv_heads: 40, d_head: 128, d_ff: 13824, num_layers: 40 }),
  "llama3-8b": llama({ d_model: 4096, num_heads: 32, num_kv_heads: 8, d_head: 128, d_ff: 14336, num_layers: 32 }),
  "llama3-70b": llama({ d_model: 8192, num_heads: 64, num_kv_heads: 8, d_head: 128, d_ff: 28672, num_layers: 80 }),
  "llama3_1-405b": llama({ d_model: 16384, num_heads: 128, num_kv_heads: 8, d_head: 128, d_ff: 53248, num_layers: 126 }),
});

/** A dense Llama entry: NeuSim's LLMConfig fields, with the MoE/MLA fields neutral. */
function llama(m: Pick<ModelSpec, "d_model" | "num_heads" | "num_kv_heads" | "d_head" | "d_ff" | "num_layers">): ModelSpec {
  return {
    ffn_type: "llama", gqa_in_operators: false, ...m, moe_d_ff: m.d_ff, num_dense_layers: 0, num_shared_experts: 0, num_routed_experts: 1,
    num_activated_routed_experts_per_token: 1, num_limited_groups: 1, q_lora_rank: 1, kv_lora_rank: 1, qk_nope_head_dim: 1,
    qk_rope_head_dim: 1, v_head_dim: 1, global_batch_size: 1, input_seqlen: 4096, output_seqlen: 512, decode_width: 1,
  };
}

export const MODEL_IDS = Object.keys(MODELS);
