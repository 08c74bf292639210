/**
 * MoE models, as data: NeuSim's configs/models/*.json (platformxlab/NeuSim,
 * Apache-2.0; see NOTICE), with the system fields NeuSim merges in.
 */

export interface ModelSpec {
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
    d_model: 7168, num_heads: 128, d_head: 128, d_ff: 18432, moe_d_ff: 2048,
    num_layers: 61, num_dense_layers: 3, num_kv_heads: 128,
    num_shared_experts: 1, num_routed_experts: 256, num_activated_routed_experts_per_token: 8,
    num_limited_groups: 4,
    q_lora_rank: 1536, kv_lora_rank: 512, qk_nope_head_dim: 128, qk_rope_head_dim: 64, v_head_dim: 128,
    global_batch_size: 1, input_seqlen: 4096, output_seqlen: 512, decode_width: 1,
  },
  "deepseekv2-236b": {
    d_model: 5120, num_heads: 128, d_head: 128, d_ff: 12288, moe_d_ff: 1536,
    num_layers: 60, num_dense_layers: 1, num_kv_heads: 128,
    num_shared_experts: 2, num_routed_experts: 160, num_activated_routed_experts_per_token: 6,
    num_limited_groups: 3,
    q_lora_rank: 1536, kv_lora_rank: 512, qk_nope_head_dim: 128, qk_rope_head_dim: 64, v_head_dim: 128,
    global_batch_size: 1, input_seqlen: 4096, output_seqlen: 512, decode_width: 1,
  },
});

export const MODEL_IDS = Object.keys(MODELS);
