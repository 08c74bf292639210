import { modelFromHuggingFace } from "./huggingface.js";

/**
 * MoE models, as data: NeuSim's configs/models/*.json (platformxlab/NeuSim,
 * Apache-2.0; see NOTICE), with the system fields NeuSim merges in.
 */

/** NeuSim's operator generator for the model: DeepSeekOpsGenerator (MLA + MoE) or LLMOpsGenerator (Llama: multi-head attention + SwiGLU FFN). */
export type FfnType = "deepseek_moe" | "llama";
export const FFN_TYPES: readonly FfnType[] = ["deepseek_moe", "llama"];

/** Attention: DeepSeek's multi-head latent attention, or (grouped-query) multi-head attention as NeuSim's Llama path costs it. */
export type AttentionType = "mla" | "mha";
export const ATTENTION_TYPES: readonly AttentionType[] = ["mla", "mha"];

export interface ModelSpec {
  /** NeuSim's ffn_type: "llama" is a dense SwiGLU FFN in every layer; "deepseek_moe" the MoE FFN (with dense layers per first_k_dense_layers / moe_layer_interval). */
  ffn_type: FfnType;
  attention_type: AttentionType;
  /** The first k layers are dense (d_ff); NeuSim's DeepSeek entries keep 0 (every layer costed as MoE), as NeuSim does. */
  first_k_dense_layers: number;
  /** After those, every n-th layer is MoE (Llama-4 Maverick: 2), the others dense. */
  moe_layer_interval: number;
  /** Vocabulary (for parameter counts; not a cost input). */
  vocab_size: number;
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

const NEUSIM_AND_MLA_MODELS: Readonly<Record<string, ModelSpec>> = Object.freeze({
  "deepseekv3-671b": {
    ffn_type: "deepseek_moe", attention_type: "mla", first_k_dense_layers: 0, moe_layer_interval: 1, vocab_size: 129280, gqa_in_operators: false,
    d_model: 7168, num_heads: 128, d_head: 128, d_ff: 18432, moe_d_ff: 2048,
    num_layers: 61, num_dense_layers: 3, num_kv_heads: 128,
    num_shared_experts: 1, num_routed_experts: 256, num_activated_routed_experts_per_token: 8,
    num_limited_groups: 4,
    q_lora_rank: 1536, kv_lora_rank: 512, qk_nope_head_dim: 128, qk_rope_head_dim: 64, v_head_dim: 128,
    global_batch_size: 1, input_seqlen: 4096, output_seqlen: 512, decode_width: 1,
  },
  "deepseekv2-236b": {
    ffn_type: "deepseek_moe", attention_type: "mla", first_k_dense_layers: 0, moe_layer_interval: 1, vocab_size: 102400, gqa_in_operators: false,
    d_model: 5120, num_heads: 128, d_head: 128, d_ff: 12288, moe_d_ff: 1536,
    num_layers: 60, num_dense_layers: 1, num_kv_heads: 128,
    num_shared_experts: 2, num_routed_experts: 160, num_activated_routed_experts_per_token: 6,
    num_limited_groups: 3,
    q_lora_rank: 1536, kv_lora_rank: 512, qk_nope_head_dim: 128, qk_rope_head_dim: 64, v_head_dim: 128,
    global_batch_size: 1, input_seqlen: 4096, output_seqlen: 512, decode_width: 1,
  },
  // NeuSim's Llama entries (dense). The MoE and MLA fields do not apply: they hold neutral values
  // (one expert, all tokens on it) that no Llama operator reads.
  "llama2-13b": llama({ d_model: 5120, num_heads: 40, num_kv_heads: 40, d_head: 128, d_ff: 13824, num_layers: 40, vocab_size: 32000 }),
  "llama3-8b": llama({ d_model: 4096, num_heads: 32, num_kv_heads: 8, d_head: 128, d_ff: 14336, num_layers: 32, vocab_size: 128256 }),
  "llama3-70b": llama({ d_model: 8192, num_heads: 64, num_kv_heads: 8, d_head: 128, d_ff: 28672, num_layers: 80, vocab_size: 128256 }),
  "llama3_1-405b": llama({ d_model: 16384, num_heads: 128, num_kv_heads: 8, d_head: 128, d_ff: 53248, num_layers: 126, vocab_size: 128256 }),
});

/**
 * Models beyond NeuSim's, stored as their Hugging Face config.json (the fields
 * the cost model reads), so adding a model is adding its config: MoE models
 * with grouped-query attention (NeuSim's multi-head attention path, with GQA
 * costed at the KV heads) and Kimi K2 (DeepSeek-V3's MLA architecture).
 */
const HF_CONFIGS: Readonly<Record<string, Record<string, unknown>>> = {
  "qwen3-235b-a22b": { model_type: "qwen3_moe", hidden_size: 4096, num_attention_heads: 64, num_key_value_heads: 4, head_dim: 128, num_hidden_layers: 94, num_experts: 128, num_experts_per_tok: 8, moe_intermediate_size: 1536, intermediate_size: 12288, vocab_size: 151936, decoder_sparse_step: 1, mlp_only_layers: [] },
  "qwen3-30b-a3b": { model_type: "qwen3_moe", hidden_size: 2048, num_attention_heads: 32, num_key_value_heads: 4, head_dim: 128, num_hidden_layers: 48, num_experts: 128, num_experts_per_tok: 8, moe_intermediate_size: 768, intermediate_size: 6144, vocab_size: 151936, decoder_sparse_step: 1, mlp_only_layers: [] },
  "mixtral-8x7b": { model_type: "mixtral", hidden_size: 4096, num_attention_heads: 32, num_key_value_heads: 8, num_hidden_layers: 32, num_local_experts: 8, num_experts_per_tok: 2, intermediate_size: 14336, vocab_size: 32000 },
  "mixtral-8x22b": { model_type: "mixtral", hidden_size: 6144, num_attention_heads: 48, num_key_value_heads: 8, num_hidden_layers: 56, num_local_experts: 8, num_experts_per_tok: 2, intermediate_size: 16384, vocab_size: 32768 },
  // Llama 4 (text): one shared expert; Maverick alternates dense and MoE layers.
  "llama4-maverick": { model_type: "llama4", text_config: { hidden_size: 5120, num_attention_heads: 40, num_key_value_heads: 8, head_dim: 128, num_hidden_layers: 48, num_local_experts: 128, num_experts_per_tok: 1, intermediate_size: 8192, intermediate_size_mlp: 16384, interleave_moe_layer_step: 2, vocab_size: 202048 } },
  "llama4-scout": { model_type: "llama4", text_config: { hidden_size: 5120, num_attention_heads: 40, num_key_value_heads: 8, head_dim: 128, num_hidden_layers: 48, num_local_experts: 16, num_experts_per_tok: 1, intermediate_size: 8192, intermediate_size_mlp: 16384, interleave_moe_layer_step: 1, vocab_size: 202048 } },
  // gpt-oss-120b: its sliding-window layers (128 tokens, every other layer) are costed as full attention (README).
  "gpt-oss-120b": { model_type: "gpt_oss", hidden_size: 2880, num_attention_heads: 64, num_key_value_heads: 8, head_dim: 64, num_hidden_layers: 36, num_local_experts: 128, num_experts_per_tok: 4, intermediate_size: 2880, vocab_size: 201088 },
  "glm-4.5": { model_type: "glm4_moe", hidden_size: 5120, num_attention_heads: 96, num_key_value_heads: 8, head_dim: 128, num_hidden_layers: 92, n_routed_experts: 160, num_experts_per_tok: 8, moe_intermediate_size: 1536, intermediate_size: 12288, n_shared_experts: 1, first_k_dense_replace: 3, vocab_size: 151552 },
  // Kimi K2: one expert group (no group limit), so a token may reach K devices.
  "kimi-k2": { model_type: "kimi_k2", hidden_size: 7168, num_attention_heads: 64, num_key_value_heads: 64, num_hidden_layers: 61, n_routed_experts: 384, num_experts_per_tok: 8, moe_intermediate_size: 2048, intermediate_size: 18432, n_shared_experts: 1, first_k_dense_replace: 1, n_group: 1, topk_group: 1, q_lora_rank: 1536, kv_lora_rank: 512, qk_nope_head_dim: 128, qk_rope_head_dim: 64, v_head_dim: 128, vocab_size: 163840 },
};

const HF_MODELS: Readonly<Record<string, ModelSpec>> = Object.fromEntries(Object.entries(HF_CONFIGS).map(([name, c]) => [name, modelFromHuggingFace(name, c)]));

/** A dense Llama entry: NeuSim's LLMConfig fields, with the MoE/MLA fields neutral. */
function llama(m: Pick<ModelSpec, "d_model" | "num_heads" | "num_kv_heads" | "d_head" | "d_ff" | "num_layers" | "vocab_size">): ModelSpec {
  return {
    ffn_type: "llama", attention_type: "mha", first_k_dense_layers: 0, moe_layer_interval: 1, gqa_in_operators: false, ...m, moe_d_ff: m.d_ff, num_dense_layers: 0, num_shared_experts: 0, num_routed_experts: 1,
    num_activated_routed_experts_per_token: 1, num_limited_groups: 1, q_lora_rank: 1, kv_lora_rank: 1, qk_nope_head_dim: 1,
    qk_rope_head_dim: 1, v_head_dim: 1, global_batch_size: 1, input_seqlen: 4096, output_seqlen: 512, decode_width: 1,
  };
}

/** Every catalog model: NeuSim's DeepSeek and Llama entries, Kimi K2, and the GQA MoE models. */
export const MODELS: Readonly<Record<string, ModelSpec>> = Object.freeze({ ...NEUSIM_AND_MLA_MODELS, ...HF_MODELS });

export const MODEL_IDS = Object.keys(MODELS);

/** Parameters of a model, from its configuration: all of them, and those one token uses. */
export interface ParameterCount {
  total: number;
  /** Per token: attention, the K routed and the shared experts of MoE layers, dense FFNs, the router, both embedding matrices. */
  active: number;
}

/**
 * Parameter count of the real architecture (not of a NeuSim costing choice):
 * dense layers are max(num_dense_layers, first_k_dense_layers) plus those
 * moe_layer_interval leaves dense; embeddings untied (input and output). Norms
 * and biases are left out (well under 0.1%).
 */
export function parameterCount(m: ModelSpec): ParameterCount {
  const M = m.d_model;
  const attention = m.attention_type === "mla"
    ? M * m.q_lora_rank + m.q_lora_rank * m.num_heads * (m.qk_nope_head_dim + m.qk_rope_head_dim) + M * (m.kv_lora_rank + m.qk_rope_head_dim)
      + m.kv_lora_rank * m.num_heads * (m.qk_nope_head_dim + m.v_head_dim) + m.num_heads * m.v_head_dim * M
    : 2 * M * m.num_heads * m.d_head + 2 * M * m.num_kv_heads * m.d_head;
  const firstDense = Math.max(m.num_dense_layers, m.first_k_dense_layers);
  let moeLayers = 0;
  if (m.ffn_type !== "llama") for (let l = firstDense; l < m.num_layers; l++) if ((l - firstDense) % m.moe_layer_interval === m.moe_layer_interval - 1) moeLayers++;
  const denseLayers = m.num_layers - moeLayers;
  const expert = 3 * M * m.moe_d_ff;
  const router = m.num_routed_experts * M;
  const dense = 3 * M * m.d_ff;
  const embeddings = 2 * m.vocab_size * M;
  const total = m.num_layers * attention + moeLayers * ((m.num_routed_experts + m.num_shared_experts) * expert + router) + denseLayers * dense + embeddings;
  const active = m.num_layers * attention + moeLayers * ((m.num_activated_routed_experts_per_token + m.num_shared_experts) * expert + router) + denseLayers * dense + embeddings;
  return { total, active };
}
