/**
 * NeuSim's own chip and model config files (configs/chips/*.json,
 * configs/models/*.json) as catalog entries: NeuSim's field names, NeuSim's
 * defaults for missing fields (ChipConfig; LLMConfig/MoELLMConfig/DeepSeekConfig),
 * validated field by field. Pure: the caller reads the file; entries loaded here
 * are registered under the path they were named by, beside the built-in catalog.
 */
import { createHash } from "node:crypto";
import { InputError } from "../../errors.js";
import { CHIPS, type ChipSpec } from "./chips.js";
import { CHIPCONFIG_DEFAULT_POWER, type ChipPower } from "./chip-power.js";
import { MODELS, type ModelSpec } from "./models.js";
import { registerMeasuredLoads } from "../routing/measured.js";

/** A config file that is not a valid NeuSim chip or model: names the file and field. */
export class ConfigFileError extends InputError {}

/** Is this catalog value a path to a NeuSim JSON config file rather than a catalog name? */
export const isConfigFilePath = (v: unknown): v is string => typeof v === "string" && /\.json$/i.test(v);

type Kind = "int" | "number" | "string" | "bool";
interface FieldRule { kind: Kind; min?: number; choices?: readonly string[] }

/** NeuSim ChipConfig's defaults (TPU v5p-like) for the fields moesweep uses. */
const CHIP_FIELDS: Record<keyof ChipSpec, FieldRule & { default: unknown }> = {
  name: { kind: "string", default: "5p" },
  num_sa: { kind: "int", min: 1, default: 8 },
  num_vu: { kind: "int", min: 1, default: 6 },
  num_vu_ports: { kind: "int", min: 1, default: 6 },
  hbm_bw_GBps: { kind: "number", min: 1e-9, default: 2765 },
  hbm_latency_ns: { kind: "int", min: 0, default: 500 },
  vmem_size_MB: { kind: "number", min: 1e-9, default: 128 },
  freq_GHz: { kind: "number", min: 1e-9, default: 1.75 },
  sa_dim: { kind: "int", min: 1, default: 128 },
  hbm_size_GB: { kind: "number", min: 1e-9, default: 95 },
  ici_bw_GBps: { kind: "number", min: 1e-9, default: 200 },
  dcn_bw_GBps: { kind: "number", min: 1e-9, default: 25 },
  ici_latency_ns: { kind: "int", min: 0, default: 3330 },
  ICI_topology: { kind: "string", choices: ["TORUS_2D", "TORUS_3D"], default: "TORUS_3D" },
  use_vu_for_small_matmul: { kind: "bool", default: true },
};
/** ChipConfig's power constants: the energy model reads them (chipPowerFromNeusimJson), the timing model does not. */
const POWER_FIELDS = Object.keys(CHIPCONFIG_DEFAULT_POWER) as (keyof ChipPower & string)[];

/** ChipConfig fields NeuSim has that the timing model does not use (power, PCIe, DCN latency): accepted, ignored by it. */
const CHIP_FIELDS_IGNORED = new Set([
  "pcie_bw_GBps", "dcn_latency_ns", "pcie_latency_ns", "TDP_W", "idle_power_W", "min_power_W", "avg_power_W", "max_power_W",
  "HBM_GBps_per_W", "ICI_GBps_per_W", ...POWER_FIELDS, "pg_config", "enable_dvfs",
]);

/** DeepSeekConfig's fields (LLMConfig and MoELLMConfig defaults; the MLA ranks have none). */
const MODEL_FIELDS: Record<keyof ModelSpec, FieldRule & { default?: unknown }> = {
  ffn_type: { kind: "string", choices: ["deepseek_moe", "llama"], default: "llama" },
  gqa_in_operators: { kind: "bool", default: false },
  attention_type: { kind: "string", choices: ["mla", "mha"], default: "mha" },
  first_k_dense_layers: { kind: "int", min: 0, default: 0 },
  moe_layer_interval: { kind: "int", min: 1, default: 1 },
  vocab_size: { kind: "int", min: 1, default: 32000 },
  d_model: { kind: "int", min: 1, default: 4096 },
  num_heads: { kind: "int", min: 1, default: 64 },
  d_head: { kind: "int", min: 1, default: 64 },
  d_ff: { kind: "int", min: 1, default: 11008 },
  moe_d_ff: { kind: "int", min: -1, default: -1 }, // -1: d_ff
  num_layers: { kind: "int", min: 1, default: 80 },
  num_dense_layers: { kind: "int", min: 0, default: 1 },
  num_kv_heads: { kind: "int", min: -1, default: -1 }, // -1: num_heads
  num_shared_experts: { kind: "int", min: 0, default: 1 },
  num_routed_experts: { kind: "int", min: 1, default: 256 },
  num_activated_routed_experts_per_token: { kind: "int", min: 1, default: 8 },
  num_limited_groups: { kind: "int", min: 1, default: 4 },
  q_lora_rank: { kind: "int", min: 1 },
  kv_lora_rank: { kind: "int", min: 1 },
  qk_nope_head_dim: { kind: "int", min: 1 },
  qk_rope_head_dim: { kind: "int", min: 1 },
  v_head_dim: { kind: "int", min: 1 },
  global_batch_size: { kind: "int", min: 1, default: 1 },
  input_seqlen: { kind: "int", min: 1, default: 4096 },
  output_seqlen: { kind: "int", min: 1, default: 512 },
  decode_width: { kind: "int", min: 1, default: 1 },
};
/** System and bookkeeping fields of NeuSim's model files: accepted, ignored (parallelism comes from moesweep's own fields). */
const MODEL_FIELDS_IGNORED = new Set([
  "model_name", "model_type", "router_type", "use_flash_attention", "output_file_path", "num_chips",
  "data_parallelism_degree", "tensor_parallelism_degree", "pipeline_parallelism_degree", "expert_parallelism_degree",
  "num_data_parallel_axes", "num_tensor_parallel_axes", "num_pipeline_parallel_axes", "num_expert_parallel_axes",
  "data_parallel_degree_dcn", "tensor_parallel_degree_dcn", "pipeline_parallel_degree_dcn", "expert_parallel_degree_dcn",
  "microbatch_size_dcn", "microbatch_size_ici", "enable_swap_kv_cache", "max_swap_kv_cache_times_prefill",
  "max_swap_kv_cache_times_decode",
]);

function checkField(file: string, name: string, v: unknown, rule: FieldRule): unknown {
  const bad = (allowed: string) => new ConfigFileError(`${file}: ${name} = ${JSON.stringify(v)}: ${allowed}`);
  switch (rule.kind) {
    case "string":
      if (typeof v !== "string" || (rule.choices && !rule.choices.includes(v))) throw bad(rule.choices ? `must be one of ${rule.choices.join(", ")}` : "must be a string");
      return v;
    case "bool":
      if (typeof v !== "boolean") throw bad("must be true or false");
      return v;
    default:
      if (typeof v !== "number" || !Number.isFinite(v) || (rule.kind === "int" && !Number.isInteger(v))) throw bad(rule.kind === "int" ? "must be an integer" : "must be a number");
      if (rule.min !== undefined && v < rule.min) throw bad(`must be >= ${rule.min}`);
      return v;
  }
}

function parseEntry<T>(file: string, raw: unknown, fields: Record<string, FieldRule & { default?: unknown }>, ignored: Set<string>, what: string): T {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new ConfigFileError(`${file}: a NeuSim ${what} config must be a JSON object`);
  const obj = raw as Record<string, unknown>;
  for (const k of Object.keys(obj)) {
    if (!(k in fields) && !ignored.has(k)) throw new ConfigFileError(`${file}: ${k} is not a NeuSim ${what} config field; known: ${Object.keys(fields).join(", ")}`);
  }
  const out: Record<string, unknown> = {};
  for (const [name, rule] of Object.entries(fields)) {
    if (obj[name] === undefined) {
      if (rule.default === undefined) throw new ConfigFileError(`${file}: ${name} is missing (NeuSim has no default for it)`);
      out[name] = rule.default;
    } else {
      out[name] = checkField(file, name, obj[name], rule);
    }
  }
  return out as T;
}

export function chipFromNeusimJson(file: string, raw: unknown): ChipSpec {
  return parseEntry<ChipSpec>(file, raw, CHIP_FIELDS, CHIP_FIELDS_IGNORED, "chip");
}

/** A chip file's power constants over ChipConfig's defaults, as NeuSim's ChipConfig reads them. */
export function chipPowerFromNeusimJson(file: string, raw: unknown): ChipPower {
  const obj = raw as Record<string, unknown>;
  const out = { ...CHIPCONFIG_DEFAULT_POWER };
  for (const k of POWER_FIELDS) if (obj[k] !== undefined) out[k] = checkField(file, k, obj[k], { kind: "number", min: 0 }) as number;
  return out;
}

/** Fields only the DeepSeek generator reads: a Llama file need not have them. */
const DEEPSEEK_ONLY = ["q_lora_rank", "kv_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim"] as const;

export function modelFromNeusimJson(file: string, raw: unknown): ModelSpec {
  const obj = raw as Record<string, unknown> | null;
  const isLlama = obj !== null && typeof obj === "object" && (obj.ffn_type ?? "llama") === "llama";
  // A Llama model is dense: one "expert" that every token visits, and no MLA ranks.
  const filled = isLlama ? { attention_type: "mha", num_routed_experts: 1, num_activated_routed_experts_per_token: 1, num_shared_experts: 0, num_limited_groups: 1, num_dense_layers: 0, ...Object.fromEntries(DEEPSEEK_ONLY.map((k) => [k, 1])), ...obj } : raw;
  // A DeepSeek file is MLA unless it says otherwise.
  const withAttention = !isLlama && obj && typeof obj === "object" && obj.attention_type === undefined ? { ...obj, attention_type: "mla" } : filled;
  const m = parseEntry<ModelSpec>(file, withAttention, MODEL_FIELDS, MODEL_FIELDS_IGNORED, "model");
  // NeuSim's own defaulting: moe_d_ff -> d_ff, num_kv_heads -> num_heads.
  if (m.moe_d_ff === -1) m.moe_d_ff = m.d_ff;
  if (m.num_kv_heads === -1) m.num_kv_heads = m.num_heads;
  return m;
}

/** Entries loaded from files, keyed by the path they were named by; shipped to workers with the spec. */
export interface ConfigFileEntries {
  chips: Record<string, ChipSpec>;
  /** The chip files' power constants (energy columns). */
  chipPowers?: Record<string, ChipPower>;
  models: Record<string, ModelSpec>;
  /** Measured expert loads (expert_load_file), parsed. */
  loads?: Record<string, number[]>;
}

const fileChips = new Map<string, ChipSpec>();
const fileChipPowers = new Map<string, ChipPower>();
const fileModels = new Map<string, ModelSpec>();

/** Make file entries resolvable by their path (idempotent; the same path must keep its content). */
export function registerConfigFiles(entries: ConfigFileEntries | undefined): void {
  if (!entries) return;
  for (const [k, v] of Object.entries(entries.chips)) fileChips.set(k, v);
  for (const [k, v] of Object.entries(entries.chipPowers ?? {})) fileChipPowers.set(k, v);
  for (const [k, v] of Object.entries(entries.models)) fileModels.set(k, v);
  registerMeasuredLoads(entries.loads);
}

/** A chip by catalog name or registered file path. */
export function chipSpec(id: string): ChipSpec | undefined {
  return Object.hasOwn(CHIPS, id) ? CHIPS[id] : fileChips.get(id);
}

/** A registered chip file's power constants. */
export function chipFilePower(id: string): ChipPower | undefined {
  return fileChipPowers.get(id);
}

export function modelSpec(id: string): ModelSpec | undefined {
  return Object.hasOwn(MODELS, id) ? MODELS[id] : fileModels.get(id);
}

/** sha256 of every catalog entry a run can use (built-in, plus the spec's files): a figure traces to the exact numbers. */
export function catalogHash(files?: ConfigFileEntries): string {
  return createHash("sha256").update(JSON.stringify({ chips: CHIPS, models: MODELS, files: files ?? null })).digest("hex");
}
