/**
 * `moesweep slo`'s table: a sweep's results grouped the way NeuSim's SLO
 * analysis groups its result folders, then NeuSim's picks (slo.ts) per group,
 * SLO scale and chip, and the provisioning answer under imbalance: the fewest
 * chips that meet the balanced case's SLO at each f.
 *
 * A group is every config field but the design choices (chip and its fields,
 * chip count, parallelism degrees, batch) and f. Within a family (a group
 * across f), the SLO comes from the balanced points (f = 1) when the sweep has
 * them, so every f is held to the same latency; without them each f sets its
 * own SLO, as NeuSim would. Pure.
 */
import { FIELDS, mergeConfig, type FieldName } from "../model/config.js";
import { coerceFieldValue } from "../sweep-spec/coerce.js";
import { chipSpec } from "../model/catalog/neusim-files.js";
import { InputError } from "../errors.js";
import { CHIP_PRICE_PER_HOUR, sloPick, sloPickColumns, sloReferenceLatency, type SloCandidate } from "./slo.js";

/** Results columns the analysis reads, beyond the config fields. */
export const SLO_INPUT_COLUMNS = [
  "out_of_memory", "prefill_time_ns", "decode_time_per_token_ns", "throughput_tokens_per_sec", "energy_per_token_J", "system_avg_power_W",
] as const;

const DESIGN_FIELDS = new Set<string>([
  "chip", "num_chips", "data_parallelism_degree", "tensor_parallelism_degree", "pipeline_parallelism_degree", "expert_parallelism_degree", "global_batch_size",
]);
const F = "expert_load_imbalance_factor";
/** Fields that name the family (everything that is not a design choice, a chip property or f). */
const FAMILY_FIELDS: readonly FieldName[] = FIELDS.filter((s) => s.group !== "chip" && !DESIGN_FIELDS.has(s.name) && s.name !== F).map((s) => s.name);

export interface SloOptions {
  scales: readonly number[];
  reference: { chip: string; global_batch_size: number };
}

export interface SloTable {
  /** Family fields that differ between rows (the table shows them), in field order. */
  varying: string[];
  rows: Record<string, string | number | undefined>[];
  /** Families without a reference point (NeuSim would stop there), and chips without a price. */
  notes: string[];
}

interface Family {
  label: Record<string, string>;
  byF: Map<string, SloCandidate[]>;
  phase: string;
}

/** HBM per chip: the row's column when the sweep wrote it, else the chip's catalog value. */
function hbmSizeGB(row: Record<string, string>): number {
  if (row.hbm_size_GB !== undefined && row.hbm_size_GB !== "") return Number(row.hbm_size_GB);
  const chip = chipSpec(row.chip);
  if (!chip) throw new InputError(`chip ${row.chip}: not in the catalog and results.csv has no hbm_size_GB column`);
  return chip.hbm_size_GB;
}

/** The phase's latency metric, in NeuSim's name and unit. */
function latencyOf(row: Record<string, string>): number {
  return row.phase === "prefill" ? Number(row.prefill_time_ns) / 1e9 : Number(row.decode_time_per_token_ns) / 1e6;
}

/**
 * A sweep writes only the config fields its spec names; the rest are the defaults, and
 * num_chips is derived. Resolve them as the run did (strings, as in the CSV).
 */
function withDefaults(row: Record<string, string>): Record<string, string> {
  const input: Record<string, unknown> = {};
  for (const spec of FIELDS) {
    const v = row[spec.name];
    if (v !== undefined && v !== "") input[spec.name] = coerceFieldValue(spec.name, v);
  }
  const merged = mergeConfig(input);
  const out: Record<string, string> = {};
  for (const spec of FIELDS) if (merged[spec.name] !== undefined) out[spec.name] = String(merged[spec.name]);
  return { ...out, ...row };
}

/** `rows` stream by (a 10-million-row sweep is fine): only each point's candidate numbers are kept. */
export async function sloTable(rows: AsyncIterable<Record<string, string>> | Iterable<Record<string, string>>, opts: SloOptions): Promise<SloTable> {
  const families = new Map<string, Family>();
  const seen = new Map<string, Set<string>>(FAMILY_FIELDS.map((n) => [n, new Set<string>()]));
  for await (const written of rows) {
    const row = written.num_chips !== undefined && written.global_batch_size !== undefined ? written : withDefaults(written);
    const key = FAMILY_FIELDS.map((n) => row[n] ?? "").join("\u0000");
    let fam = families.get(key);
    if (!fam) {
      fam = { label: Object.fromEntries(FAMILY_FIELDS.map((n) => [n, row[n] ?? ""])), byF: new Map(), phase: row.phase };
      families.set(key, fam);
      for (const n of FAMILY_FIELDS) seen.get(n)!.add(row[n] ?? "");
    }
    const f = row[F] ?? "";
    if (!fam.byF.has(f)) fam.byF.set(f, []);
    fam.byF.get(f)!.push({
      chip: row.chip, num_chips: Number(row.num_chips), global_batch_size: Number(row.global_batch_size),
      out_of_memory: row.out_of_memory === "true", latency: latencyOf(row),
      throughput_tokens_per_sec: Number(row.throughput_tokens_per_sec), energy_per_token_J: Number(row.energy_per_token_J),
      system_avg_power_W: Number(row.system_avg_power_W), hbm_size_GB: hbmSizeGB(row), config_key: row.config_key ?? "",
    });
  }
  const always = new Set(["model", "phase", "power_gating_strategy"]);
  const varying = FAMILY_FIELDS.filter((n) => always.has(n) || seen.get(n)!.size > 1);
  const out: SloTable = { varying, rows: [], notes: [] };
  const unpriced = new Set<string>();
  for (const fam of families.values()) {
    const balanced = fam.byF.get("1");
    const familyRef = balanced && sloReferenceLatency(balanced, opts.reference);
    const metric = fam.phase === "prefill" ? "TTFT_sec" : "TPOT_ms_request";
    const name = varying.map((n) => `${n}=${fam.label[n]}`).join(" ");
    for (const [f, cands] of fam.byF) {
      const ref = familyRef ?? sloReferenceLatency(cands, opts.reference);
      if (ref === undefined) {
        out.notes.push(`${name} ${F}=${f}: no point on ${opts.reference.chip} at global_batch_size ${opts.reference.global_batch_size} fits in memory, so there is no SLO reference (NeuSim's rule); sweep one, or pass --reference-chip / --reference-batch`);
        continue;
      }
      const chips = [...new Set(cands.map((c) => c.chip))];
      for (const scale of opts.scales) {
        for (const chip of chips) {
          const price = CHIP_PRICE_PER_HOUR[chip];
          if (price === undefined) unpriced.add(chip);
          const pick = sloPick(cands, chip, ref, scale, price);
          const base = familyRef !== undefined && balanced ? sloPick(balanced, chip, ref, scale, price) : undefined;
          out.rows.push({
            ...Object.fromEntries(varying.map((n) => [n, fam.label[n]])),
            [F]: f, slo_scale: scale, chip,
            slo_reference: familyRef !== undefined ? "balanced (f = 1)" : "own",
            ...sloPickColumns(pick, metric),
            balanced_min_num_chips: base?.min_num_chips,
          });
        }
      }
    }
  }
  for (const chip of unpriced) out.notes.push(`${chip}: no price per chip-hour (NeuSim's table covers tpuv2-tpuv6p), so no cost pick`);
  return out;
}

const METRIC_COLUMNS = (m: string) => [`ref_${m}`, m, `optimal_${m}`, `optimal_energy_eff_${m}`, `optimal_cost_${m}`];

/** The table's columns in output order: NeuSim's slo_results columns (both metrics when both phases are present), then the picks' config keys. */
export function sloColumns(t: SloTable): string[] {
  const present = new Set(t.rows.flatMap((r) => Object.keys(r)));
  return [
    ...t.varying, F, "slo_scale", "chip", "slo_reference", "min_num_chips", "balanced_min_num_chips",
    "optimal_num_chips", "optimal_energy_eff_num_chips", "optimal_cost_num_chips", "optimal_cost_global_batch_size",
    ...METRIC_COLUMNS("TTFT_sec"), ...METRIC_COLUMNS("TPOT_ms_request"),
    "throughput_tokens_per_sec", "optimal_throughput_tokens_per_sec", "optimal_energy_eff_joule_per_good", "throughput_per_chip",
    "optimal_throughput_per_chip", "optimal_energy_eff_per_chip", "optimal_cost_good_per_dollar", "optimal_cost_total_memory_capacity_GB",
    "optimal_energy_eff_watt", "optimal_energy_eff_watt_per_chip",
    "min_chip_config_key", "optimal_config_key", "optimal_energy_eff_config_key", "optimal_cost_config_key",
  ].filter((c) => present.has(c) || t.varying.includes(c) || c === F || c === "balanced_min_num_chips");
}
