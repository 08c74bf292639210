/**
 * Hugging Face `config.json` files as catalog entries, for the model types
 * moesweep can cost: deepseek_v3, deepseek_v2, kimi_k2 (MLA + MoE), qwen3_moe,
 * mixtral, llama4 (its text_config), gpt_oss, glm4_moe (GQA + MoE) and llama
 * (dense). Anything the cost model cannot represent is an error naming the
 * field. The GQA MoE catalog entries are written in this form. Pure.
 */
import type { ModelSpec } from "./models.js";
import { InputError } from "../../errors.js";

/** A Hugging Face config moesweep cannot represent: names the file and the field. */
export class ConfigFileError extends InputError {}

export const HF_MODEL_TYPES = ["deepseek_v3", "deepseek_v2", "kimi_k2", "qwen3_moe", "mixtral", "llama4", "gpt_oss", "glm4_moe", "llama"] as const;

type Json = Record<string, unknown>;

/** Is this JSON a Hugging Face config (as opposed to a NeuSim model file)? */
export function isHuggingFaceConfig(raw: unknown): boolean {
  return typeof raw === "object" && raw !== null && typeof (raw as Json).model_type === "string" && (raw as Json).model_type !== "llm";
}

const WORKLOAD = { global_batch_size: 1, input_seqlen: 4096, output_seqlen: 512, decode_width: 1 } as const;
const NO_MLA = { q_lora_rank: 1, kv_lora_rank: 1, qk_nope_head_dim: 1, qk_rope_head_dim: 1, v_head_dim: 1 } as const;

export function modelFromHuggingFace(file: string, raw: unknown): ModelSpec {
  if (!isHuggingFaceConfig(raw)) throw new ConfigFileError(`${file}: not a Hugging Face config (no model_type)`);
  const top = raw as Json;
  const type = top.model_type as string;
  if (!(HF_MODEL_TYPES as readonly string[]).includes(type)) {
    throw new ConfigFileError(`${file}: model_type = ${JSON.stringify(type)}: moesweep can cost ${HF_MODEL_TYPES.join(", ")}`);
  }
  const c = (type === "llama4" ? top.text_config : top) as Json;
  if (!c || typeof c !== "object") throw new ConfigFileError(`${file}: text_config is missing (llama4)`);
  const int = (name: string, fallback?: number): number => {
    const v = c[name] ?? fallback;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0) throw new ConfigFileError(`${file}: ${name} = ${JSON.stringify(c[name])}: must be a whole number${fallback === undefined ? " (required)" : ""}`);
    return v;
  };
  const unsupported = (name: string, why: string) => {
    const v = c[name];
    if (v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0) && v !== false) throw new ConfigFileError(`${file}: ${name} = ${JSON.stringify(v)}: ${why}`);
  };
  const d_model = int("hidden_size"), num_heads = int("num_attention_heads"), num_layers = int("num_hidden_layers");
  const num_kv_heads = int("num_key_value_heads", num_heads);
  const d_head = int("head_dim", Math.floor(d_model / num_heads));
  const vocab_size = int("vocab_size");
  const base = { gqa_in_operators: true, vocab_size, d_model, num_heads, num_kv_heads, d_head, num_layers, ...WORKLOAD };
  switch (type) {
    case "llama":
      return { ...base, ffn_type: "llama", attention_type: "mha", gqa_in_operators: true, first_k_dense_layers: 0, moe_layer_interval: 1,
        d_ff: int("intermediate_size"), moe_d_ff: int("intermediate_size"), num_dense_layers: 0, num_shared_experts: 0, num_routed_experts: 1,
        num_activated_routed_experts_per_token: 1, num_limited_groups: 1, ...NO_MLA };
    case "deepseek_v3": case "deepseek_v2": case "kimi_k2": {
      const E = int("n_routed_experts"), K = int("num_experts_per_tok"), firstDense = int("first_k_dense_replace", 0);
      const groups = int("n_group", 1);
      return { ...base, ffn_type: "deepseek_moe", attention_type: "mla", gqa_in_operators: false, first_k_dense_layers: firstDense,
        moe_layer_interval: int("moe_layer_freq", 1), d_ff: int("intermediate_size"), moe_d_ff: int("moe_intermediate_size"),
        num_dense_layers: firstDense, num_shared_experts: int("n_shared_experts", 0), num_routed_experts: E, num_activated_routed_experts_per_token: K,
        // Group-limited routing sends a token to topk_group groups; without groups, to up to K devices.
        num_limited_groups: groups > 1 ? int("topk_group") : K,
        q_lora_rank: int("q_lora_rank", d_model), kv_lora_rank: int("kv_lora_rank"), qk_nope_head_dim: int("qk_nope_head_dim"),
        qk_rope_head_dim: int("qk_rope_head_dim"), v_head_dim: int("v_head_dim"), num_kv_heads: num_heads, d_head: int("qk_nope_head_dim") };
    }
    default: {
      // GQA MoE: qwen3_moe, mixtral, llama4 (text), gpt_oss, glm4_moe.
      unsupported("mlp_only_layers", "layer lists other than a dense prefix and an interval cannot be represented");
      const E = int(type === "glm4_moe" ? "n_routed_experts" : type === "qwen3_moe" ? "num_experts" : "num_local_experts");
      const K = int(type === "gpt_oss" && c.num_experts_per_tok === undefined ? "experts_per_token" : "num_experts_per_tok");
      const expertWidth = type === "qwen3_moe" || type === "glm4_moe" ? int("moe_intermediate_size") : int("intermediate_size");
      const denseWidth = type === "llama4" ? int("intermediate_size_mlp") : int("intermediate_size");
      const interval = type === "llama4" ? int("interleave_moe_layer_step", 1) : type === "qwen3_moe" ? int("decoder_sparse_step", 1) : 1;
      const firstDense = type === "glm4_moe" ? int("first_k_dense_replace", 0) : 0;
      const shared = type === "llama4" ? 1 : type === "glm4_moe" ? int("n_shared_experts", 0) : 0;
      return { ...base, ffn_type: "deepseek_moe", attention_type: "mha", first_k_dense_layers: firstDense, moe_layer_interval: interval,
        d_ff: denseWidth, moe_d_ff: expertWidth, num_dense_layers: firstDense, num_shared_experts: shared, num_routed_experts: E,
        num_activated_routed_experts_per_token: K, num_limited_groups: K, ...NO_MLA };
    }
  }
}
