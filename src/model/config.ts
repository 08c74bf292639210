/**
 * The configuration of one design point: field registry (NeuSim names),
 * resolution from catalog ids + overrides, validation, and identity (config_key).
 * Pure: no I/O.
 */
import { hash } from "node:crypto";
import { InputError } from "../errors.js";
import { CHIP_IDS, type ChipSpec } from "./catalog/chips.js";
import { ATTENTION_TYPES, FFN_TYPES, MODEL_IDS, type ModelSpec } from "./catalog/models.js";
import { chipSpec, modelSpec } from "./catalog/neusim-files.js";
import { LOAD_MODELS } from "./routing/loads.js";
import type { RoutingFields } from "./routing/route.js";
import { PG_STRATEGIES, type PgStrategy } from "./energy/power-gating.js";

const DEFAULT_SAMPLES_TEXT = "the closed form for uniform without EPLB, else 32; worst_case and measured are exact";

export type Phase = "prefill" | "decode";
export const PHASES: readonly Phase[] = ["prefill", "decode"];

/** One design point. The routing fields (expected-case loads, EPLB) come from RoutingFields; their defaults are the seed's worst case without EPLB. */
/** NeuSim's energy and carbon analysis settings (the energy columns use them; they change no time). */
export interface EnergyFields {
  power_gating_strategy: PgStrategy;
  dvfs_policy: DvfsPolicy;
  carbon_intensity_kgCO2_per_kWh: number;
  utilization_factor: number;
  lifetime_years: number;
  PUE: number;
}

/** DVFS policies: only "None" (DVFS off, NeuSim's reference runs); NeuSim's "Ideal" policy is not ported. */
export const DVFS_POLICIES = ["None"] as const;
export type DvfsPolicy = (typeof DVFS_POLICIES)[number];

export interface MoeConfig extends ModelSpec, Omit<ChipSpec, "name">, RoutingFields, EnergyFields {
  model: string;
  chip: string;
  phase: Phase;
  num_chips: number;
  data_parallelism_degree: number;
  tensor_parallelism_degree: number;
  pipeline_parallelism_degree: number;
  expert_parallelism_degree: number;
  /** Load of a hot expert over the balanced load; -1 = worst case (E/K). */
  expert_load_imbalance_factor: number;
  /** How many experts are equally hot (W). */
  num_worst_case_experts: number;
}

export type FieldName = keyof MoeConfig;
type FieldKind = "int" | "number" | "string" | "bool";
export type FieldGroup = "identity" | "workload" | "parallelism" | "imbalance" | "routing" | "model" | "chip" | "energy";

export interface FieldSpec {
  name: FieldName;
  kind: FieldKind;
  group: FieldGroup;
  /** Inclusive minimum for numeric fields (checked before any cross-field rule). */
  min?: number;
  /** Inclusive maximum: realistic bounds, so no value makes a point slow or meaningless. */
  max?: number;
  /** Allowed values for string fields. */
  choices?: readonly string[];
  describe: string;
}

const f = (name: FieldName, kind: FieldKind, group: FieldGroup, describe: string, extra: Partial<FieldSpec> = {}): FieldSpec =>
  ({ name, kind, group, describe, ...extra });

/** Upper bounds of size fields: tokens per request or batch, chips in a pod, model widths, counts. */
export const SEQ_MAX = 2 ** 24;
export const CHIPS_MAX = 2 ** 20;
export const DIM_MAX = 2 ** 20;
export const COUNT_MAX = 2 ** 16;

/** Every config field, in the order used for CSV columns and the identity hash. */
export const FIELDS: readonly FieldSpec[] = [
  f("model", "string", "identity", "model id (NeuSim configs/models name), or a NeuSim model .json file", { choices: MODEL_IDS }),
  f("chip", "string", "identity", "chip id (NeuSim configs/chips name), or a NeuSim chip .json file", { choices: CHIP_IDS }),
  f("phase", "string", "identity", "inference phase", { choices: PHASES }),
  f("global_batch_size", "int", "workload", "requests in the global batch", { min: 1, max: SEQ_MAX }),
  f("input_seqlen", "int", "workload", "prompt tokens per request (prefill)", { min: 1, max: SEQ_MAX }),
  f("output_seqlen", "int", "workload", "generated tokens per request (decode)", { min: 1, max: SEQ_MAX }),
  f("decode_width", "int", "workload", "tokens decoded per step per request", { min: 1, max: COUNT_MAX }),
  f("num_chips", "int", "parallelism", "chips in the ICI pod (default: max(dp*tp*pp, ep))", { min: 1, max: CHIPS_MAX }),
  f("data_parallelism_degree", "int", "parallelism", "data parallelism over ICI (dp)", { min: 1, max: CHIPS_MAX }),
  f("tensor_parallelism_degree", "int", "parallelism", "tensor parallelism over ICI (tp)", { min: 1, max: CHIPS_MAX }),
  f("pipeline_parallelism_degree", "int", "parallelism", "pipeline parallelism over ICI (pp)", { min: 1, max: CHIPS_MAX }),
  f("expert_parallelism_degree", "int", "parallelism", "devices the routed experts are spread over (EP)", { min: 1, max: CHIPS_MAX }),
  f("expert_load_imbalance_factor", "number", "imbalance", "hot-expert load over balanced load (f); -1 = worst case E/K"),
  f("num_worst_case_experts", "int", "imbalance", "how many experts are equally hot (W), 1..K"),
  f("expert_load_model", "string", "routing", "how expert loads are modelled: the worst case (f, W) or an expected case", { choices: LOAD_MODELS }),
  f("zipf_exponent", "number", "routing", "zipf: expert popularity ~ rank^-s", { min: 0, max: 10 }),
  f("power_law_alpha", "number", "routing", "power_law: Pareto exponent of per-expert loads (aiconfigurator: 1.01 DeepSeek-V3, 1.2 generic, 0.6 large-EP prefill)", { min: 0.01, max: 10 }),
  f("expert_load_file", "string", "routing", "measured: CSV or JSON file of per-expert loads (one layer, or one row per layer: their mean)"),
  f("routing_samples", "int", "routing", `Monte Carlo samples of the routing (0: ${DEFAULT_SAMPLES_TEXT})`, { min: 0, max: 100_000 }),
  f("routing_seed", "int", "routing", "seed of the routing samples (the same point gives the same numbers anywhere)", { min: 0, max: 2 ** 31 - 1 }),
  f("num_redundant_experts", "int", "routing", "extra expert slots for EPLB replicas (R - E; 0 = none)", { min: 0, max: COUNT_MAX }),
  f("eplb_policy", "string", "routing", "DeepSeek EPLB placement: none, hierarchical, global, or auto (as eplb.py decides)", { choices: ["none", "hierarchical", "global", "auto"] }),
  f("eplb_groups", "int", "routing", "EPLB expert groups (E must be a multiple)", { min: 1, max: COUNT_MAX }),
  f("eplb_nodes", "int", "routing", "EPLB nodes (groups and EP must be multiples)", { min: 1, max: COUNT_MAX }),
  f("eplb_plan_source", "string", "routing", "same: EPLB plans on the loads it is evaluated on (oracle); other_sample: on an independent sample (a serving engine's lag)", { choices: ["same", "other_sample"] }),
  f("ffn_type", "string", "model", "NeuSim's op generator: deepseek_moe (MLA attention + MoE FFN) or llama (multi-head attention + dense SwiGLU FFN)", { choices: FFN_TYPES }),
  f("attention_type", "string", "model", "mla (DeepSeek's latent attention) or mha (multi-head attention with num_kv_heads, NeuSim's Llama path)", { choices: ATTENTION_TYPES }),
  f("first_k_dense_layers", "int", "model", "the first k layers have a dense FFN of d_ff (NeuSim's DeepSeek entries: 0, every layer MoE, as NeuSim costs them)", { min: 0, max: COUNT_MAX }),
  f("moe_layer_interval", "int", "model", "after the first k, every n-th layer is MoE and the others dense (1: all MoE)", { min: 1, max: COUNT_MAX }),
  f("gqa_in_operators", "bool", "model", "cost K/V projections and KV-cache reads with num_kv_heads (NeuSim uses the query heads: false for its own models)"),
  f("d_model", "int", "model", "hidden size", { min: 1, max: DIM_MAX }),
  f("num_heads", "int", "model", "attention heads", { min: 1, max: COUNT_MAX }),
  f("d_head", "int", "model", "attention head size", { min: 1, max: DIM_MAX }),
  f("d_ff", "int", "model", "dense FFN width: Llama models, and the dense layers of MoE models (first_k_dense_layers, moe_layer_interval)", { min: 1, max: DIM_MAX }),
  f("moe_d_ff", "int", "model", "expert FFN width", { min: 1, max: DIM_MAX }),
  f("num_layers", "int", "model", "transformer layers", { min: 1, max: COUNT_MAX }),
  f("num_dense_layers", "int", "model", "dense layers (NeuSim ignores them; kept for identity)", { min: 0, max: COUNT_MAX }),
  f("num_kv_heads", "int", "model", "KV heads", { min: 1, max: COUNT_MAX }),
  f("num_shared_experts", "int", "model", "shared experts every token visits (S)", { min: 0, max: COUNT_MAX }),
  f("num_routed_experts", "int", "model", "routed experts per MoE layer (E)", { max: COUNT_MAX }),
  f("num_activated_routed_experts_per_token", "int", "model", "top-k routed experts per token (K)", { max: COUNT_MAX }),
  f("num_limited_groups", "int", "model", "max expert groups a token is sent to (G)", { min: 1, max: COUNT_MAX }),
  f("q_lora_rank", "int", "model", "MLA query LoRA rank", { min: 1, max: DIM_MAX }),
  f("kv_lora_rank", "int", "model", "MLA KV LoRA rank", { min: 1, max: DIM_MAX }),
  f("qk_nope_head_dim", "int", "model", "MLA no-RoPE head dim", { min: 1, max: DIM_MAX }),
  f("qk_rope_head_dim", "int", "model", "MLA RoPE head dim", { min: 1, max: DIM_MAX }),
  f("v_head_dim", "int", "model", "MLA value head dim", { min: 1, max: DIM_MAX }),
  f("num_sa", "int", "chip", "systolic arrays (MXUs) per chip", { min: 1, max: COUNT_MAX }),
  f("sa_dim", "int", "chip", "systolic array dimension", { min: 1, max: COUNT_MAX }),
  f("num_vu", "int", "chip", "vector units per chip", { min: 1, max: COUNT_MAX }),
  f("num_vu_ports", "int", "chip", "VMEM ports of the vector units", { min: 1, max: COUNT_MAX }),
  f("freq_GHz", "number", "chip", "clock frequency (GHz)", { min: 1e-9, max: 1e3 }),
  f("hbm_bw_GBps", "number", "chip", "HBM bandwidth (GB/s, NeuSim treats as GiB/s)", { min: 1e-9, max: 1e9 }),
  f("hbm_size_GB", "number", "chip", "HBM capacity (GiB)", { min: 1e-9, max: 1e9 }),
  f("hbm_latency_ns", "int", "chip", "HBM access latency floor (ns)", { min: 0, max: 1e9 }),
  f("vmem_size_MB", "number", "chip", "on-chip vector memory (MiB)", { min: 1e-9, max: 1e9 }),
  f("ici_bw_GBps", "number", "chip", "ICI bandwidth per axis (GB/s = bytes/ns)", { min: 1e-9, max: 1e9 }),
  f("ici_latency_ns", "int", "chip", "ICI per-hop latency (ns)", { min: 0, max: 1e9 }),
  f("dcn_bw_GBps", "number", "chip", "DCN bandwidth (GB/s)", { min: 1e-9, max: 1e9 }),
  f("ICI_topology", "string", "chip", "ICI torus shape", { choices: ["TORUS_2D", "TORUS_3D"] }),
  f("use_vu_for_small_matmul", "bool", "chip", "run small matmuls on the vector units when faster"),
  f("carbon_intensity_kgCO2_per_kWh", "number", "energy", "grid carbon intensity (kgCO2e/kWh)", { min: 0, max: 10 }),
  f("utilization_factor", "number", "energy", "duty cycle: the share of the lifetime the chips run this phase; they idle the rest", { min: 0.001, max: 1 }),
  f("lifetime_years", "number", "energy", "years the system runs (its carbon is counted over them)", { min: 0.001, max: 100 }),
  f("PUE", "number", "energy", "datacenter power usage effectiveness", { min: 1, max: 10 }),
  f("power_gating_strategy", "string", "energy", "NeuSim's power-gating setting: NoPG (none), Base, HW, Full, Ideal, ideal_inst_component, ideal_op_component; disabled = NoPG's energy with a gated idle chip in the carbon", { choices: PG_STRATEGIES }),
  f("dvfs_policy", "string", "energy", "NeuSim's DVFS policy: None (DVFS off; its Ideal policy is not ported)", { choices: DVFS_POLICIES }),
];

export const FIELD_BY_NAME: ReadonlyMap<string, FieldSpec> = new Map(FIELDS.map((s) => [s.name, s]));
export const FIELD_NAMES: readonly FieldName[] = FIELDS.map((s) => s.name);

/** A rejected configuration: names the field, its value and what is allowed. */
export class ConfigError extends InputError {
  constructor(readonly field: string, readonly value: unknown, readonly allowed: string) {
    super(`${field} = ${JSON.stringify(value)}: ${allowed}`);
  }
}

export type ConfigInput = Partial<Record<FieldName, unknown>>;

export const DEFAULT_MODEL = "deepseekv3-671b";
export const DEFAULT_CHIP = "tpuv5p";

/** Seed defaults: worst-case factor with one hot expert (imbalance-model.md). */
const IMBALANCE_DEFAULTS = { expert_load_imbalance_factor: -1, num_worst_case_experts: 1 } as const;

/**
 * Fields added after config keys were first published, with the value every older
 * key implied: at that value they are left out of config_key, so older keys stand.
 */
/** No power gating and DVFS off, as NeuSim's performance runs; its run scripts' carbon settings (carbon_analysis_main), 3-year lifetime. */
export const ENERGY_DEFAULTS: Readonly<EnergyFields> = {
  power_gating_strategy: "NoPG", dvfs_policy: "None", carbon_intensity_kgCO2_per_kWh: 0.0624, utilization_factor: 0.6, lifetime_years: 3, PUE: 1.1,
};

const LATE_FIELD_DEFAULTS: Readonly<Record<string, unknown>> = {
  ffn_type: "deepseek_moe", gqa_in_operators: false, attention_type: "mla", first_k_dense_layers: 0, moe_layer_interval: 1,
  ...ENERGY_DEFAULTS,
};

/** Routing defaults: the seed's worst case, no EPLB. Left out of config_key at these values, so older keys stand. */
export const ROUTING_DEFAULTS: Readonly<Record<string, unknown>> = {
  expert_load_model: "worst_case", zipf_exponent: 1, power_law_alpha: 1.01, expert_load_file: "", routing_samples: 0, routing_seed: 0,
  num_redundant_experts: 0, eplb_policy: "none", eplb_groups: 1, eplb_nodes: 1, eplb_plan_source: "same",
};

/** Model and chip ids already accepted (an id, once valid, stays valid: file entries are only ever added). */
const validIds = { model: new Set<unknown>(), chip: new Set<unknown>() };

function checkType(spec: FieldSpec, value: unknown): void {
  const { name, kind } = spec;
  if (kind === "string") {
    const ids = name === "model" || name === "chip" ? validIds[name] : undefined;
    if (ids?.has(value)) return;
    const fileEntry = typeof value === "string" && (name === "model" ? modelSpec(value) : name === "chip" ? chipSpec(value) : undefined);
    if (typeof value !== "string" || (spec.choices && !spec.choices.includes(value) && !fileEntry)) {
      const files = ids ? `, or a NeuSim ${name} config file (.json)` : "";
      throw new ConfigError(name, value, `must be one of ${(spec.choices ?? []).join(", ")}${files}`);
    }
    ids?.add(value);
    return;
  }
  if (kind === "bool") {
    if (typeof value !== "boolean") throw new ConfigError(name, value, "must be true or false");
    return;
  }
  if (typeof value === "number" && numberAllowed(spec, value)) return;
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new ConfigError(name, value, kind === "int" ? "must be an integer" : "must be a finite number");
  }
  if (kind === "int" && !Number.isInteger(value)) throw new ConfigError(name, value, "must be an integer");
  if (spec.min !== undefined && value < spec.min) {
    throw new ConfigError(name, value, spec.max === undefined ? `must be >= ${spec.min}` : `must be from ${spec.min} to ${spec.max}`);
  }
  if (spec.max !== undefined && value > spec.max) {
    throw new ConfigError(name, value, spec.min === undefined ? `must be <= ${spec.max}` : `must be from ${spec.min} to ${spec.max}`);
  }
}

/** A numeric field's own rule: finite, an integer if it is one, within its bounds. */
function numberAllowed(spec: FieldSpec, value: number): boolean {
  return Number.isFinite(value) && (spec.kind !== "int" || Number.isInteger(value)) &&
    (spec.min === undefined || value >= spec.min) && (spec.max === undefined || value <= spec.max);
}

/**
 * Resolve a design point: catalog model + chip, workload defaults, then overrides.
 * Throws ConfigError on the first invalid field.
 */
export function resolveConfig(input: ConfigInput): MoeConfig {
  const c = mergeChecked(input) as unknown as MoeConfig;
  validateConfig(c, minChips(c));
  return c;
}

/** The input merged, after its own fields' checks (resolveConfig's, in its order), before the cross-field rules. */
function mergeChecked(input: ConfigInput): Record<string, unknown> {
  const shape = inputShape(input);
  if (shape.unknown !== undefined) {
    const key = shape.unknown;
    throw new ConfigError(key, input[key as FieldName], `unknown config field; known fields: ${FIELD_NAMES.join(", ")}`);
  }
  const given = shape.given;
  checkType(MODEL_FIELD, input.model ?? DEFAULT_MODEL);
  checkType(CHIP_FIELD, input.chip ?? DEFAULT_CHIP);
  const merged = mergeShaped(input, shape);
  checkCatalogEntries(merged.model as string, merged.chip as string);
  // Defaults and catalog entries are valid (checked once); only given values and num_chips need a
  // check, and only when they differ from the value that last passed it.
  const lastValid = shape.lastValid;
  for (let i = 0; i < given.length; i++) {
    const spec = given[i];
    if (input[spec.name] === undefined && spec.name !== "num_chips") continue;
    const value = merged[spec.name];
    if (value === lastValid[i]) continue;
    checkType(spec, value);
    lastValid[i] = value;
  }
  return merged;
}

const MODEL_FIELD = FIELD_BY_NAME.get("model")!;
const CHIP_FIELD = FIELD_BY_NAME.get("chip")!;
const NUM_CHIPS_FIELD = FIELD_BY_NAME.get("num_chips")!;

/** True for a field whose values are numbers (int or number kind). */
export const isNumericField = (name: string): boolean => {
  const kind = FIELD_BY_NAME.get(name)?.kind;
  return kind === "int" || kind === "number";
};

/** A value passes its numeric field's own check (resolveConfig's, without the cross-field rules). */
export const numberFits = (name: FieldName, value: number): boolean => numberAllowed(FIELD_BY_NAME.get(name)!, value);

/** Stores a point's numbers over a config (compiled by the caller, which knows where its numbers are). */
export type NumberStore = (config: Record<string, unknown>, values: unknown[][][], digits: Float64Array) => void;

/**
 * Resolves, with no input object, the points of a sweep that share all their fields but some
 * numeric ones: `fixed` holds the shared ones (a sweep's base and its non-numeric axes' values),
 * `store` writes a point's numbers, each of which the caller has found to pass numberFits. For a
 * point that passes the other checks, it gives what resolveConfig gives (the same fields, in the
 * same order, with the same values); for any other, undefined, and the caller resolves that
 * point's input with resolveConfig for its usual error. The shared fields are checked once.
 */
export class NumericResolver {
  /** Every field but the numbers, merged; undefined when a shared field fails its check (every point then goes the usual way). */
  private readonly merged: Record<string, unknown> | undefined;
  /** num_chips is neither shared nor stored: computed from the degrees, then checked. */
  private readonly computesChips: boolean;

  constructor(fixed: ConfigInput, numeric: readonly FieldName[], private readonly store: NumberStore) {
    this.computesChips = fixed.num_chips === undefined && !numeric.includes("num_chips");
    this.merged = checkedTemplate(fixed);
  }

  /** The point's merged, unchecked config (what `where` filters see), or undefined when a shared field fails its check. */
  merge(values: unknown[][][], digits: Float64Array): Record<string, unknown> | undefined {
    const t = this.merged;
    if (t === undefined) return undefined;
    const c = cloneTemplate(t, t.model, t.chip);
    this.store(c, values, digits);
    if (this.computesChips) c.num_chips = minChips(c as unknown as MoeConfig);
    return c;
  }

  /** A merged config, checked: undefined when num_chips fails its rule; throws a cross-field rule's ConfigError as resolveConfig does. */
  check(merged: Record<string, unknown>): MoeConfig | undefined {
    const c = merged as unknown as MoeConfig;
    if (this.computesChips && !numberAllowed(NUM_CHIPS_FIELD, c.num_chips)) return undefined;
    validateConfig(c, minChips(c));
    return c;
  }
}

/**
 * The shared fields merged, when they pass their own checks (mergeChecked's). A computed num_chips is
 * checked there too: the template's degrees are its points' least (the numbers' fields default to 1,
 * their minimum), so when it fails, every point of the template fails as well.
 */
function checkedTemplate(fixed: ConfigInput): Record<string, unknown> | undefined {
  try {
    return mergeChecked(fixed);
  } catch (err) {
    if (err instanceof ConfigError) return undefined;
    throw err;
  }
}

/** What resolving needs to know of an input's key list (a sweep's inputs share one). */
interface InputShape {
  keys: readonly string[];
  /** The first key that is no config field. */
  unknown: string | undefined;
  /** The given fields in registry order (the order errors are found in), plus num_chips. */
  given: readonly FieldSpec[];
  /** Stores the given fields' values over a config (direct loads and stores, compiled for this key list). */
  store: (merged: Record<string, unknown>, input: Record<string, unknown>) => void;
  /**
   * Each given field's last value that passed its check. A check depends on the value alone, and a
   * value once valid stays valid (catalog ids are only ever added), so a sweep checks only the
   * fields that changed since its previous point, not all of them at every point.
   */
  lastValid: unknown[];
}

/** No value checked yet (a value of no field's type). */
const UNCHECKED = Symbol("unchecked");

const shapes = new Map<string, InputShape>();
let lastShape: InputShape = makeShape([]);

const sameKeys = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((k, i) => k === b[i]);

function inputShape(input: ConfigInput): InputShape {
  const keys = Object.keys(input);
  if (sameKeys(keys, lastShape.keys)) return lastShape;
  const id = keys.join("\0");
  let shape = shapes.get(id);
  if (!shape || !sameKeys(shape.keys, keys)) { // (keys with a NUL in them could join to another list's id)
    if (shapes.size >= 256) shapes.clear();
    shapes.set(id, (shape = makeShape(keys)));
  }
  return (lastShape = shape);
}

function makeShape(keys: readonly string[]): InputShape {
  const named = new Set(keys);
  // Unknown names are left out of the stores: resolveConfig refuses them first; filters ignore them.
  const stored = keys.filter((k) => k !== "model" && k !== "chip" && FIELD_BY_NAME.has(k)).map((k) => JSON.stringify(k));
  const given = FIELDS.filter((spec) => named.has(spec.name) || spec.name === "num_chips");
  return {
    keys,
    unknown: keys.find((k) => !FIELD_BY_NAME.has(k)),
    given,
    store: new Function("m", "i", `let v;\n${stored.map((n) => `v = i[${n}]; if (v !== undefined) m[${n}] = v;`).join("\n")}`) as InputShape["store"],
    lastValid: given.map(() => UNCHECKED),
  };
}

/** Catalog entries (built-in or from files) already checked against the field rules. */
const checkedEntries = new WeakSet<object>();

/** Check a model's and a chip's fields once; a file entry with, say, num_sa beyond its bound is refused like a flag would be. */
function checkCatalogEntries(modelId: string, chipId: string): void {
  for (const entry of [modelSpec(modelId), chipSpec(chipId)]) {
    if (!entry || checkedEntries.has(entry)) continue;
    for (const [k, v] of Object.entries(entry)) {
      const spec = FIELD_BY_NAME.get(k);
      if (spec) checkType(spec, v);
    }
    checkedEntries.add(entry);
  }
}

function minChips(c: Pick<MoeConfig, "data_parallelism_degree" | "tensor_parallelism_degree" | "pipeline_parallelism_degree" | "expert_parallelism_degree">): number {
  return Math.max(c.data_parallelism_degree * c.tensor_parallelism_degree * c.pipeline_parallelism_degree, c.expert_parallelism_degree);
}

/**
 * Catalog model + chip, workload and parallelism defaults, then the overrides,
 * without validation: the view sweep filters (`where`) see. Unknown model or
 * chip ids leave their fields unset.
 */
export function mergeConfig(input: ConfigInput): Record<string, unknown> {
  return mergeShaped(input, inputShape(input));
}

function mergeShaped(input: ConfigInput, shape: InputShape): Record<string, unknown> {
  const modelId = input.model ?? DEFAULT_MODEL;
  const chipId = input.chip ?? DEFAULT_CHIP;
  const chip = typeof chipId === "string" ? chipSpec(chipId) : undefined;
  const model = typeof modelId === "string" ? modelSpec(modelId) : undefined;
  const merged = cloneTemplate(templateFor(model, chip), modelId, chipId);
  shape.store(merged, input as Record<string, unknown>);
  if (merged.num_chips === undefined) {
    const parts = [merged.data_parallelism_degree, merged.tensor_parallelism_degree, merged.pipeline_parallelism_degree, merged.expert_parallelism_degree];
    if (parts.every((v) => typeof v === "number")) merged.num_chips = minChips(merged as unknown as MoeConfig);
  }
  return merged;
}

/** Every field's value before the point's own: workload and parallelism defaults, the seed's and the energy defaults, then the catalog model and chip. */
function makeTemplate(model: ModelSpec | undefined, chip: ChipSpec | undefined): Record<string, unknown> {
  const { name: _chipName, ...chipFields } = chip ?? { name: "" };
  return {
    phase: "prefill", data_parallelism_degree: 1, tensor_parallelism_degree: 1, pipeline_parallelism_degree: 1, expert_parallelism_degree: 1,
    ...IMBALANCE_DEFAULTS, ...ROUTING_DEFAULTS, ...ENERGY_DEFAULTS, ...model, ...chipFields,
  };
}

/** Templates by catalog entry (built-in or a registered file's): a sweep merges thousands of points over one model and chip. */
const templates = new WeakMap<object, WeakMap<object, Record<string, unknown>>>();
function templateFor(model: ModelSpec | undefined, chip: ChipSpec | undefined): Record<string, unknown> {
  if (!model || !chip) return makeTemplate(model, chip);
  let byChip = templates.get(model);
  if (!byChip) templates.set(model, (byChip = new WeakMap()));
  let t = byChip.get(chip);
  if (!t) byChip.set(chip, (t = makeTemplate(model, chip)));
  return t;
}

/**
 * One object literal with every field in FIELDS order, from the template: every config has
 * the same shape, so the model reads its fields at full speed, and building it copies no
 * spread of ~80 properties. The point's own values are then stored over it (InputShape.store),
 * reading only the input's own keys: an input made by a spread can be a dictionary, slow to
 * ask for the ~70 fields it does not have.
 */
const cloneTemplate = new Function("t", "model", "chip",
  `return { ${FIELDS.map((f) => f.name === "model" || f.name === "chip" ? `${f.name}: ${f.name}` : `${f.name}: t.${f.name}`).join(", ")} };`,
) as (t: Record<string, unknown>, model: unknown, chip: unknown) => Record<string, unknown>;

/** Cross-field rules. E and K are checked before anything divides by them. */
function validateConfig(c: MoeConfig, minChips: number): void {
  validateImbalanceFields(c);
  if (c.num_chips < minChips) {
    throw new ConfigError("num_chips", c.num_chips, `must be >= max(dp*tp*pp, expert_parallelism_degree) = ${minChips}`);
  }
  const dpTp = c.data_parallelism_degree * c.tensor_parallelism_degree;
  if (c.expert_parallelism_degree <= dpTp && dpTp % c.expert_parallelism_degree !== 0) {
    throw new ConfigError(
      "expert_parallelism_degree", c.expert_parallelism_degree,
      `must divide data_parallelism_degree * tensor_parallelism_degree = ${dpTp} (expert tensor parallelism = dp*tp/EP), or exceed it`,
    );
  }
}

/** The imbalance model's own validation (imbalance-model.md, "Validation"). */
export function validateImbalanceFields(c: {
  num_routed_experts: number;
  num_activated_routed_experts_per_token: number;
  expert_load_imbalance_factor: number;
  num_worst_case_experts: number;
  expert_parallelism_degree: number;
}): void {
  const E = c.num_routed_experts;
  const K = c.num_activated_routed_experts_per_token;
  if (!Number.isInteger(E) || E < 1) throw new ConfigError("num_routed_experts", E, "must be an integer >= 1");
  if (!Number.isInteger(K) || K < 1) throw new ConfigError("num_activated_routed_experts_per_token", K, "must be an integer >= 1");
  if (K > E) throw new ConfigError("num_activated_routed_experts_per_token", K, `must be <= num_routed_experts = ${E}`);
  const fac = c.expert_load_imbalance_factor;
  const maxF = E / K;
  if (typeof fac !== "number" || !Number.isFinite(fac) || !(fac === -1 || (fac >= 1 && fac <= maxF * (1 + 1e-12)))) {
    throw new ConfigError("expert_load_imbalance_factor", fac, `must be -1 (worst case) or in [1, E/K = ${maxF}]`);
  }
  const W = c.num_worst_case_experts;
  if (!Number.isInteger(W) || W < 1 || W > K) {
    throw new ConfigError("num_worst_case_experts", W, `must be an integer in [1, K = ${K}]`);
  }
  const EP = c.expert_parallelism_degree;
  if (!Number.isInteger(EP) || EP < 1) throw new ConfigError("expert_parallelism_degree", EP, "must be an integer >= 1");
  if (EP > E) throw new ConfigError("expert_parallelism_degree", EP, `must be <= num_routed_experts = ${E} (a device without experts has nothing to route to)`);
}

/** The text a config's key hashes (as UTF-8): "moesweep-config-v1", then `;name=value` per field in registry order. */
export function configKeyText(c: MoeConfig): string {
  let text = KEY_PREFIX;
  for (let s = 0; s < KEY_SEGMENTS.length; s++) text += KEY_SEGMENTS[s](c);
  return text;
}

/**
 * Stable identity of a configuration: sha256 of configKeyText, its first 16 hex digits.
 * Any two configs that differ in any field (f and W included) get different keys.
 */
export function configKey(c: MoeConfig): string {
  let at = KEY_PREFIX_BYTES;
  for (let s = 0; s < KEY_SEGMENTS.length; s++) {
    const text = KEY_SEGMENTS[s](c);
    // A segment whose text and place are the previous point's is already in the buffer.
    if (text !== keyText.written[s] || at !== keyText.at[s]) writeKeySegment(s, text, at);
    at += keyText.bytes[s];
  }
  return hash("sha256", keyText.buf.subarray(0, at), "hex").slice(0, 16);
}

const KEY_PREFIX = "moesweep-config-v1";
const KEY_PREFIX_BYTES = Buffer.byteLength(KEY_PREFIX);

/**
 * The key's text as UTF-8, kept between points: the model's and the chip's segments (most
 * of its 1.3 kB) are written once, not rebuilt and encoded for every point (hashing
 * the same bytes as the string would give).
 */
const keyText = {
  buf: Buffer.alloc(4096),
  written: [] as (string | undefined)[],
  at: [] as number[],
  bytes: [] as number[],
};
keyText.buf.write(KEY_PREFIX, 0, "utf8");

function writeKeySegment(s: number, text: string, at: number): void {
  const room = at + 3 * text.length; // UTF-8 needs at most 3 bytes per UTF-16 unit
  if (room > keyText.buf.length) {
    const grown = Buffer.alloc(2 * room);
    keyText.buf.copy(grown); // all of it: the segments after this one may stay where they are
    keyText.buf = grown;
  }
  keyText.bytes[s] = keyText.buf.write(text, at, "utf8");
  keyText.written[s] = text;
  keyText.at[s] = at;
}

/** A segment of the key's text: `;name=value` for each of its fields, in registry order. */
type KeySegment = (c: MoeConfig) => string;

/**
 * Compile one segment: it reads its fields by name (direct property loads) and, when
 * every value equals the previous point's (the model's and the chip's fields, nearly
 * always), returns the previous text. omitDefaults: fields added after keys were first
 * published appear only when not at their default (for any other field the "default"
 * is undefined, as it always was).
 */
function keySegment(names: readonly FieldName[], omitDefaults: boolean): KeySegment {
  const defaults = names.map((n) => ROUTING_DEFAULTS[n] ?? LATE_FIELD_DEFAULTS[n]);
  const read = names.map((n) => `c[${JSON.stringify(n)}]`);
  const piece = names.map((n, i) => {
    const text = `${JSON.stringify(`;${n}=`)} + String(v${i})`;
    return omitDefaults ? `(v${i} === d[${i}] ? "" : ${text})` : text;
  });
  const body = `let ${names.map((_, i) => `v${i}`).join(", ")}, t = null;
return function segment(c) {
  if (t !== null && ${read.map((r, i) => `${r} === v${i}`).join(" && ")}) return t;
  ${read.map((r, i) => `v${i} = ${r};`).join(" ")}
  return (t = ${piece.join(" + ")});
};`;
  return new Function("d", body)(defaults) as KeySegment;
}

/** Consecutive fields of one group form a segment (the registry lists each group contiguously). */
const KEY_SEGMENTS: readonly KeySegment[] = (() => {
  const groups: FieldName[][] = [];
  FIELDS.forEach((f, i) => {
    if (i === 0 || FIELDS[i - 1].group !== f.group) groups.push([]);
    groups[groups.length - 1].push(f.name);
  });
  return groups.map((g) => keySegment(g, g.some((n) => n in ROUTING_DEFAULTS || n in LATE_FIELD_DEFAULTS)));
})();
