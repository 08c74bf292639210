/**
 * The data dictionary: every column results.csv can have, with its type, unit
 * and meaning. One source of truth for `moesweep columns`, each run's
 * columns.json, the Parquet column types and the README table. Pure.
 */
import { FIELD_BY_NAME, type FieldSpec } from "./config.js";
import { OUTPUT_COLUMNS, type OutputColumn } from "./evaluate.js";
import { ENERGY_COLUMNS, ENERGY_DOCS, type EnergyColumn } from "./energy/energy-columns.js";

export type ColumnType = "int" | "double" | "bool" | "string";

export interface ColumnDoc {
  name: string;
  type: ColumnType;
  /** "" when the value is a count, a ratio or a name. */
  unit: string;
  meaning: string;
  /** energy: an output written only when the spec's `columns:` names it. */
  kind: "identity" | "config" | "output" | "energy";
}

const OUTPUT_DOCS: Record<OutputColumn, [ColumnType, string, string]> = {
  effective_expert_load_imbalance_factor: ["double", "", "f actually used: E/K when expert_load_imbalance_factor = -1, else f"],
  tokens_per_dispatch: ["double", "tokens", "T: tokens one device dispatches together (local batch x tokens per request this step)"],
  hot_expert_tokens: ["double", "tokens", "h: tokens routed to each hot expert (unrounded)"],
  remaining_expert_tokens: ["double", "tokens", "r: tokens routed to each other expert (unrounded)"],
  experts_on_busiest_device: ["int", "experts", "D: routed experts on the busiest device, ceil(E / EP)"],
  hot_experts_on_device: ["int", "experts", "Wd: hot experts on the busiest device, min(W, D)"],
  hot_expert_seqlen: ["int", "rows", "matmul rows of each hot expert, max(1, ceil(h))"],
  active_remaining_experts: ["int", "experts", "remaining experts that receive at least one token on the busiest device"],
  remaining_expert_seqlen: ["int", "rows", "matmul rows of each active remaining expert (0 when none)"],
  receiver_skew: ["double", "", "tokens the busiest device receives in the all-to-all over the mean device's (1 = balanced)"],
  phase_time_ns: ["double", "ns", "the phase on one chip: pp x (stage_time_ns + pipeline_ici_ns)"],
  prefill_time_ns: ["double", "ns", "time to first token, TTFT (prefill rows; empty for decode)"],
  decode_time_per_token_ns: ["double", "ns", "time per output token, TPOT: decode phase_time_ns / output_seqlen (decode rows; empty for prefill)"],
  moe_layer_time_ns: ["double", "ns", "one layer's FFN/MoE block (per decode step in decode): the sum of the eight blocks below it"],
  attention_ns: ["double", "ns", "one layer's attention (with pp > 1, NeuSim counts every layer's attention in each stage)"],
  router_ns: ["double", "ns", "one layer's router: gate scores and softmax"],
  dispatch_all_to_all_ns: ["double", "ns", "one layer's dispatch all-to-all, scaled by receiver_skew (0 when EP = 1)"],
  hot_experts_ns: ["double", "ns", "one layer's hot experts on the busiest device"],
  remaining_experts_ns: ["double", "ns", "one layer's active remaining experts on the busiest device"],
  shared_experts_ns: ["double", "ns", "one layer's shared experts"],
  combine_all_to_all_ns: ["double", "ns", "one layer's combine all-to-all (0 when EP = 1)"],
  combine_ns: ["double", "ns", "one layer's weighted combine of expert outputs"],
  ffn_tp_collective_ns: ["double", "ns", "one layer's expert-tensor-parallel all-gather and reduce-scatter"],
  memory_footprint_GB: ["double", "GiB", "NeuSim's per-chip memory footprint (GiB: 2^30 bytes, though NeuSim calls it GB)"],
  out_of_memory: ["bool", "", "memory_footprint_GB > hbm_size_GB: the configuration does not fit on the chip"],
  stage_time_ns: ["double", "ns", "one pipeline stage's operators (the whole model when pp = 1)"],
  pipeline_ici_ns: ["double", "ns", "one stage's transfers from the previous stage and to the next (0 when pp = 1)"],
  neusim_valid: ["bool", "", "whether NeuSim's run_sim.py would simulate this configuration"],
  neusim_reason: ["string", "", "NeuSim's reason for skipping it (empty when neusim_valid)"],
  f_eq: ["double", "", "worst-case equivalent factor: the most-loaded expert's tokens over the balanced load (mean over routing samples; f_eff for worst_case)"],
  s_eq: ["double", "", "busiest device's tokens over the mean device's (mean over samples): the all-to-all receiver skew"],
  W_eq: ["double", "", "hot experts of the worst case that give the same busiest-device load, D E (s-1) / ((f-1)(E-D) + (s-1) D) (W for worst_case)"],
  busiest_device_tokens: ["double", "tokens", "L: tokens the busiest device's experts process (mean over samples)"],
  mean_device_tokens: ["double", "tokens", "A: T x K / EP, tokens of a mean device"],
  busiest_device_experts_active: ["double", "experts", "experts (slots) on the busiest device that receive a token: weight reads at decode (mean over samples)"],
  eplb_max_replicas: ["int", "", "most replicas EPLB gave one expert (1 without EPLB)"],
  eplb_busiest_device_load_ratio: ["double", "", "busiest device's load with EPLB over without it (1 without EPLB; never above 1 with an oracle plan)"],
};

/** Units of config fields, by NeuSim's name suffix. */
function fieldUnit(name: string): string {
  if (name.endsWith("_GHz")) return "GHz";
  if (name.endsWith("_GBps")) return "GB/s";
  if (name === "hbm_size_GB") return "GiB";
  if (name.endsWith("_MB")) return "MiB";
  if (name.endsWith("_ns")) return "ns";
  if (name.endsWith("seqlen") || name === "decode_width") return "tokens";
  return "";
}

function fieldType(f: FieldSpec): ColumnType {
  return f.kind === "number" ? "double" : f.kind;
}

/** The documentation of one column of results.csv, or undefined for a name results.csv never has. */
export function columnDoc(name: string): ColumnDoc | undefined {
  if (name === "point_index") return { name, type: "int", unit: "", meaning: "index of the point in the sweep's full grid (points dropped by where leave gaps)", kind: "identity" };
  if (name === "config_key") return { name, type: "string", unit: "", meaning: "stable hash of every config field: the join key of compare", kind: "identity" };
  const f = FIELD_BY_NAME.get(name);
  if (f) return { name, type: fieldType(f), unit: fieldUnit(name), meaning: f.describe, kind: "config" };
  const o = OUTPUT_DOCS[name as OutputColumn];
  if (o) return { name, type: o[0], unit: o[1], meaning: o[2], kind: "output" };
  const e = ENERGY_DOCS[name as EnergyColumn];
  if (e) return { name, type: e[0], unit: e[1], meaning: `${e[2]} (written only when columns: names it)`, kind: "energy" };
  return undefined;
}

/** Every column results.csv can have, in the order it writes them (config fields: registry order). */
export function allColumnDocs(): ColumnDoc[] {
  return ["point_index", "config_key", ...FIELD_BY_NAME.keys(), ...OUTPUT_COLUMNS, ...ENERGY_COLUMNS].map((n) => columnDoc(n)!);
}

/** The README's data dictionary table (a test keeps the README equal to it). */
export function columnsMarkdownTable(): string {
  const rows = allColumnDocs().map((d) => `| \`${d.name}\` | ${d.kind} | ${d.type} | ${d.unit} | ${d.meaning.replace(/\|/g, "\\|")} |`);
  return ["| column | kind | type | unit | meaning |", "|---|---|---|---|---|", ...rows].join("\n");
}
