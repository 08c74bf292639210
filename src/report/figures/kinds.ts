/**
 * The figure kinds: each names the columns it needs and the paper sweep that
 * produces them, and turns result rows into a vega-lite spec with inline data.
 */
import type { TopLevelSpec } from "vega-lite";
import { configColumnsOf, FigureInputError, num, type Row } from "./data.js";

export interface FigureKind {
  name: string;
  title: string;
  /** The shipped sweep that produces this figure's data. */
  sweep: string;
  needs: string[];
  /** Rows the figure can use at all, and what to say when there are none. */
  accepts?: { test(r: Row): boolean; none: string };
  /**
   * The config columns the figure shows (plus --facet / --color fields): every other one is held at
   * its first value (SliceCollector). Absent: no slice; rows are kept once per `dedup` key.
   */
  shows?: readonly string[];
  dedup?(r: Row, extra: string[]): string;
  /** `slice`: the rows the figure draws, in point order, and its caption; `extra`: fields the user facets or colours by (--facet, --color), carried into the values. */
  build(slice: { rows: Row[]; caption: string }, extra: string[]): TopLevelSpec;
}

/** The extra fields of a row, for --facet / --color (numbers stay numbers, so they sort). */
function carry(r: Row, extra: string[]): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const f of extra) out[f] = r[f] !== "" && Number.isFinite(Number(r[f])) ? Number(r[f]) : r[f];
  return out;
}

/** DejaVu Sans ships with moesweep (dejavu-fonts-ttf): PNG and PDF render with it everywhere. */
const FONT = "DejaVu Sans, Helvetica, Arial, sans-serif";
/** One look for every figure: sizes that read at a column width. */
export const BASE_CONFIG = {
  font: FONT,
  axis: { labelFontSize: 10, titleFontSize: 11, titleFontWeight: "normal", grid: true, gridColor: "#e6e6e6", tickColor: "#888", domainColor: "#888" },
  legend: { labelFontSize: 10, titleFontSize: 10, titleFontWeight: "normal", orient: "bottom", direction: "horizontal", columns: 4, symbolSize: 60, labelLimit: 320 },
  header: { labelFontSize: 11, titleFontSize: 11, titleFontWeight: "normal", labelPadding: 4 },
  title: { fontSize: 12, fontWeight: "bold", anchor: "start", subtitleFontSize: 9.5, subtitleColor: "#555", offset: 8 },
  range: { category: { scheme: "tableau10" } },
  view: { stroke: "#ccc" },
  line: { strokeWidth: 1.6 },
  point: { size: 28, filled: true },
} as const;

/** Axis label of a factor: the worst-case sentinel -1 reads "E/K". */
const fLabel = (r: Row) => (r.expert_load_imbalance_factor === "-1" ? "E/K" : r.expert_load_imbalance_factor);
const us = (ns: string) => num(ns) / 1000;

/** Title and subtitle; the slice caption wrapped at about 120 characters, so the figure is not as wide as its caption. */
function titled(title: string, caption: string) {
  const lines: string[] = [];
  let line = "Slice:";
  for (const part of caption ? caption.split(/(?<=, |; |: )/) : []) {
    if (line.length + part.length > 120 && line.length > 0) {
      lines.push(line.trimEnd());
      line = "";
    }
    line += (line === "Slice:" ? " " : "") + part;
  }
  if (caption) lines.push(line.trimEnd());
  return { text: title, subtitle: lines };
}

/** Normalise `metric` by its value at f = 1 with every other config column equal. */
function slowdownOverBalanced(rows: Row[], metric: string, configCols: string[]): { row: Row; slowdown: number }[] {
  const groupKey = (r: Row) => configCols.filter((c) => c !== "expert_load_imbalance_factor").map((c) => r[c]).join("|");
  const balanced = new Map<string, number>();
  for (const r of rows) if (r.expert_load_imbalance_factor === "1") balanced.set(groupKey(r), num(r[metric]));
  if (balanced.size === 0) throw new FigureInputError("needs expert_load_imbalance_factor = 1 (the balanced case) in the sweep, to normalise by");
  return rows.filter((r) => balanced.has(groupKey(r)) && r[metric] !== "").map((r) => ({ row: r, slowdown: num(r[metric]) / balanced.get(groupKey(r))! }));
}

/** A line figure of slowdown over f, a panel per EP (alltoall, moe-by-w). */
function slowdownByEpSpec(title: { text: string; subtitle: string[] }, values: object[], yTitle: string, color: object): TopLevelSpec {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title,
    data: { values },
    facet: { column: { field: "EP", title: "Expert parallelism", sort: { field: "EPn" } } },
    spec: {
      width: 150, height: 140,
      mark: { type: "line", point: true },
      encoding: {
        x: { field: "f", type: "quantitative", scale: { type: "log", base: 2 }, title: "Imbalance factor f (log scale)" },
        y: { field: "slowdown", type: "quantitative", scale: { zero: false }, title: yTitle },
        color,
      },
    },
    config: BASE_CONFIG,
  } as TopLevelSpec;
}

const COMPONENTS = [
  { column: "router_ns", label: "router" },
  { column: "dispatch_all_to_all_ns", label: "dispatch all-to-all" },
  { column: "hot_experts_ns", label: "hot experts" },
  { column: "remaining_experts_ns", label: "remaining experts" },
  { column: "shared_experts_ns", label: "shared experts" },
  { column: "combine_all_to_all_ns", label: "combine all-to-all" },
  { column: "combine_ns", label: "weighted combine" },
] as const;

/** Every figure kind. This module loads no vega, so the CLI can list the kinds cheaply. */
export const FIGURE_KINDS: FigureKind[] = [
  {
    name: "skew",
    title: "Receiver skew of the dispatch/combine all-to-all",
    sweep: "sweeps/paper/skew.yaml",
    needs: ["model", "effective_expert_load_imbalance_factor", "expert_load_imbalance_factor", "receiver_skew", "expert_parallelism_degree", "num_worst_case_experts"],
    // The skew depends on these alone: one row per combination.
    dedup: (r, extra) => [r.model, r.expert_parallelism_degree, r.num_worst_case_experts, r.effective_expert_load_imbalance_factor, ...extra.map((f) => r[f])].join("|"),
    build({ rows }, extra) {
      const values = rows.map((r) => ({
        ...carry(r, extra), model: r.model, f: num(r.effective_expert_load_imbalance_factor), skew: num(r.receiver_skew),
        EP: num(r.expert_parallelism_degree), W: `W = ${r.num_worst_case_experts}`,
      }));
      const models = new Set(values.map((v) => v.model)).size;
      return {
        $schema: "https://vega.github.io/schema/vega-lite/v6.json",
        title: { text: this.title, subtitle: ["busiest / mean device; lines by EP, dashes by hot experts W"] },
        data: { values },
        ...(models > 1 ? { facet: { column: { field: "model", title: null } }, spec: skewLayer() } : skewLayer()),
        config: BASE_CONFIG,
      } as TopLevelSpec;
    },
  },
  {
    name: "breakdown",
    title: "MoE layer time by component",
    sweep: "sweeps/paper/breakdown.yaml",
    needs: ["phase", "expert_parallelism_degree", "expert_load_imbalance_factor", "effective_expert_load_imbalance_factor", ...COMPONENTS.map((c) => c.column)],
    shows: ["phase", "expert_parallelism_degree", "expert_load_imbalance_factor"],
    build({ rows: slice, caption }, extra) {
      const values = slice.flatMap((r) => COMPONENTS.map((c, order) => ({
        ...carry(r, extra), phase: r.phase, EP: `EP = ${r.expert_parallelism_degree}`, EPn: num(r.expert_parallelism_degree),
        f: fLabel(r), fn: num(r.effective_expert_load_imbalance_factor), component: c.label, order, time_us: us(r[c.column]),
      })));
      return {
        $schema: "https://vega.github.io/schema/vega-lite/v6.json",
        title: titled(this.title, caption),
        data: { values },
        // One row per phase, each with one y-scale across its EP panels: bars compare within a row.
        vconcat: ["prefill", "decode"].filter((ph) => values.some((v) => v.phase === ph)).map((ph) => ({
          title: { text: ph, anchor: "middle", fontSize: 11, fontWeight: "normal" },
          transform: [{ filter: { field: "phase", equal: ph } }],
          facet: { column: { field: "EP", title: ph === "prefill" ? "Expert parallelism" : null, sort: { field: "EPn" } } },
          spec: {
            width: 130, height: 120,
            mark: { type: "bar" },
            encoding: {
              x: { field: "f", type: "ordinal", sort: { field: "fn" }, title: "Imbalance factor f", axis: { labelAngle: 0 } },
              y: { field: "time_us", type: "quantitative", aggregate: "sum", title: "Time per layer (µs)", stack: "zero" },
              color: { field: "component", type: "nominal", title: null, sort: COMPONENTS.map((c) => c.label), scale: { domain: COMPONENTS.map((c) => c.label) } },
              order: { field: "order", type: "quantitative" },
              tooltip: [{ field: "component" }, { field: "time_us", format: ".1f", title: "µs" }],
            },
          },
        })),
        config: BASE_CONFIG,
      } as TopLevelSpec;
    },
  },
  {
    name: "latency",
    title: "TTFT and time per output token, over the balanced case",
    sweep: "sweeps/paper/latency.yaml",
    needs: ["model", "chip", "phase", "expert_load_imbalance_factor", "effective_expert_load_imbalance_factor", "prefill_time_ns", "decode_time_per_token_ns"],
    shows: ["model", "chip", "phase", "expert_load_imbalance_factor"],
    build({ rows: slice, caption }, extra) {
      const cols = configColumnsOf(slice);
      const pre = slowdownOverBalanced(slice.filter((r) => r.phase === "prefill"), "prefill_time_ns", cols);
      const dec = slowdownOverBalanced(slice.filter((r) => r.phase === "decode"), "decode_time_per_token_ns", cols);
      const values = [...pre, ...dec].map(({ row, slowdown }) => ({
        ...carry(row, extra), metric: row.phase === "prefill" ? "TTFT (prefill)" : "Time per output token (decode)",
        series: `${row.model} on ${row.chip}`, f: num(row.effective_expert_load_imbalance_factor), slowdown,
      }));
      return {
        $schema: "https://vega.github.io/schema/vega-lite/v6.json",
        title: titled(this.title, caption),
        data: { values },
        facet: { column: { field: "metric", title: null, sort: ["TTFT (prefill)", "Time per output token (decode)"] } },
        spec: {
          width: 200, height: 150,
          mark: { type: "line", point: true },
          encoding: {
            x: { field: "f", type: "quantitative", scale: { type: "log", base: 2 }, title: "Imbalance factor f (log scale)" },
            y: { field: "slowdown", type: "quantitative", scale: { zero: false }, title: "Slowdown over balanced (x)" },
            color: { field: "series", type: "nominal", title: null },
          },
        },
        config: { ...BASE_CONFIG, legend: { ...BASE_CONFIG.legend, columns: 2 } },
      } as TopLevelSpec;
    },
  },
  {
    name: "heatmap",
    title: "MoE layer slowdown over balanced routing",
    sweep: "sweeps/paper/heatmap.yaml",
    needs: ["phase", "expert_parallelism_degree", "expert_load_imbalance_factor", "effective_expert_load_imbalance_factor", "moe_layer_time_ns"],
    shows: ["phase", "expert_parallelism_degree", "expert_load_imbalance_factor"],
    build({ rows: slice, caption }, extra) {
      const cols = configColumnsOf(slice);
      const cells = slowdownOverBalanced(slice, "moe_layer_time_ns", cols);
      const hi = Math.max(1, ...cells.map((c) => c.slowdown)), lo = Math.min(1, ...cells.map((c) => c.slowdown));
      // Labels turn white on the darker 40% of each side of the diverging scale.
      const dark = (v: number) => (v > 1 && v - 1 > 0.6 * (hi - 1)) || (v < 1 && 1 - v > 0.6 * (1 - lo));
      const values = cells.map(({ row, slowdown }) => ({
        ...carry(row, extra), phase: row.phase, EP: num(row.expert_parallelism_degree), f: fLabel(row), fn: num(row.effective_expert_load_imbalance_factor), slowdown, dark: dark(slowdown),
      }));
      return {
        $schema: "https://vega.github.io/schema/vega-lite/v6.json",
        title: titled(this.title, caption),
        data: { values },
        facet: { column: { field: "phase", title: null, sort: ["prefill", "decode"] } },
        spec: {
          width: { step: 30 }, height: { step: 22 },
          encoding: {
            x: { field: "f", type: "ordinal", sort: { field: "fn" }, title: "Imbalance factor f", axis: { labelAngle: 0 } },
            y: { field: "EP", type: "ordinal", title: "Expert parallelism (EP)", sort: "ascending" },
          },
          layer: [
            // Diverging around 1.0: slower is red, faster (below 1, e.g. weight-bound decode) is blue.
            { mark: { type: "rect" }, encoding: { color: { field: "slowdown", type: "quantitative", title: "Slowdown (x)", scale: { scheme: "redblue", reverse: true, domainMid: 1 } } } },
            { mark: { type: "text", fontSize: 8.5 }, encoding: { text: { field: "slowdown", type: "quantitative", format: ".2f" }, color: { condition: { test: "datum.dark", value: "white" }, value: "black" } } },
          ],
        },
        config: { ...BASE_CONFIG, axis: { ...BASE_CONFIG.axis, grid: false }, legend: { ...BASE_CONFIG.legend, direction: "horizontal", gradientLength: 140 } },
      } as TopLevelSpec;
    },
  },
  {
    name: "alltoall",
    title: "All-to-all slowdown over balanced routing (dispatch + combine)",
    sweep: "sweeps/paper/alltoall.yaml",
    needs: ["phase", "expert_parallelism_degree", "expert_load_imbalance_factor", "effective_expert_load_imbalance_factor", "dispatch_all_to_all_ns", "combine_all_to_all_ns"],
    // EP = 1 exchanges nothing.
    accepts: { test: (r) => num(r.expert_parallelism_degree) > 1, none: "needs expert_parallelism_degree > 1 (EP = 1 has no all-to-all)" },
    shows: ["phase", "expert_parallelism_degree", "expert_load_imbalance_factor"],
    build({ rows: slice, caption }, extra) {
      const withSum = slice.map((r) => ({ ...r, a2a_ns: String(num(r.dispatch_all_to_all_ns) + num(r.combine_all_to_all_ns)) }));
      const values = slowdownOverBalanced(withSum, "a2a_ns", configColumnsOf(slice)).map(({ row, slowdown }) => ({
        ...carry(row, extra), phase: row.phase, EP: `EP = ${row.expert_parallelism_degree}`, EPn: num(row.expert_parallelism_degree), f: num(row.effective_expert_load_imbalance_factor), slowdown,
      }));
      return slowdownByEpSpec(titled(this.title, caption), values, "All-to-all time over balanced (x)", { field: "phase", type: "nominal", title: null, sort: ["prefill", "decode"] });
    },
  },
  {
    name: "moe-by-w",
    title: "MoE layer slowdown over balanced routing, by hot experts W",
    sweep: "sweeps/paper/moe-by-w.yaml",
    needs: ["expert_parallelism_degree", "expert_load_imbalance_factor", "effective_expert_load_imbalance_factor", "num_worst_case_experts", "moe_layer_time_ns"],
    shows: ["expert_parallelism_degree", "expert_load_imbalance_factor", "num_worst_case_experts"],
    build({ rows: slice, caption }, extra) {
      const values = slowdownOverBalanced(slice, "moe_layer_time_ns", configColumnsOf(slice)).map(({ row, slowdown }) => ({
        ...carry(row, extra), EP: `EP = ${row.expert_parallelism_degree}`, EPn: num(row.expert_parallelism_degree), f: num(row.effective_expert_load_imbalance_factor),
        W: `W = ${row.num_worst_case_experts}`, Wn: num(row.num_worst_case_experts), slowdown,
      }));
      return slowdownByEpSpec(titled(this.title, caption), values, "MoE layer time over balanced (x)", { field: "W", type: "ordinal", title: "Hot experts", sort: { field: "Wn" }, scale: { scheme: "viridis" } });
    },
  },
  {
    name: "routing",
    title: "MoE layer slowdown over balanced routing, by load model, with and without EPLB",
    sweep: "sweeps/paper/routing.yaml",
    needs: ["phase", "expert_parallelism_degree", "expert_load_model", "expert_load_imbalance_factor", "power_law_alpha", "eplb_policy", "moe_layer_time_ns"],
    shows: ["phase", "expert_parallelism_degree", "expert_load_model", "expert_load_imbalance_factor", "power_law_alpha", "eplb_policy", "num_redundant_experts"],
    build({ rows: slice, caption }, extra) {
      // Balanced: the worst-case model at f = 1, no EPLB, same phase and EP.
      const key = (r: Row) => `${r.phase}|${r.expert_parallelism_degree}|${extra.map((f) => r[f]).join("|")}`;
      const balanced = new Map<string, number>();
      for (const r of slice) {
        if (r.expert_load_model === "worst_case" && r.expert_load_imbalance_factor === "1" && r.eplb_policy === "none") balanced.set(key(r), num(r.moe_layer_time_ns));
      }
      if (balanced.size === 0) throw new FigureInputError("needs the balanced case (expert_load_model = worst_case, expert_load_imbalance_factor = 1, eplb_policy = none) to normalise by");
      const label = (r: Row) => r.expert_load_model === "worst_case" ? `worst case f = ${fLabel(r)}`
        : r.expert_load_model === "power_law" ? `power law α = ${r.power_law_alpha}` : r.expert_load_model;
      const values = slice.filter((r) => balanced.has(key(r)) && !(r.expert_load_model === "worst_case" && r.expert_load_imbalance_factor === "1" && r.eplb_policy !== "none"))
        .map((r) => ({
          ...carry(r, extra), phase: r.phase, EP: num(r.expert_parallelism_degree), model: label(r),
          eplb: r.eplb_policy === "none" ? "no EPLB" : "EPLB (+EP slots)", slowdown: num(r.moe_layer_time_ns) / balanced.get(key(r))!,
        }));
      return {
        $schema: "https://vega.github.io/schema/vega-lite/v6.json",
        title: titled(this.title, caption),
        data: { values },
        facet: { column: { field: "phase", title: null, sort: ["prefill", "decode"] } },
        resolve: { scale: { y: "independent" } },
        spec: {
          width: 230, height: 170,
          mark: { type: "line", point: true },
          encoding: {
            x: { field: "EP", type: "quantitative", scale: { type: "log", base: 2 }, title: "Expert parallelism (EP, log scale)" },
            y: { field: "slowdown", type: "quantitative", scale: { zero: false }, title: "MoE layer time over balanced (x)" },
            color: { field: "model", type: "nominal", title: null },
            strokeDash: { field: "eplb", type: "nominal", title: null, sort: ["no EPLB", "EPLB (+EP slots)"] },
            detail: { field: "eplb" },
          },
        },
        config: { ...BASE_CONFIG, legend: { ...BASE_CONFIG.legend, columns: 3 } },
      } as TopLevelSpec;
    },
  },
  {
    name: "energy",
    title: "Energy per token and the EP group's energy of imbalance, by power-gating setting",
    sweep: "sweeps/paper/energy.yaml",
    needs: ["expert_parallelism_degree", "expert_load_imbalance_factor", "power_gating_strategy", "energy_per_token_J", "imbalance_energy_overhead"],
    accepts: { test: (r) => r.imbalance_energy_overhead !== "", none: "needs imbalance_energy_overhead (defined when EP divides the expert count, for MoE models)" },
    shows: ["expert_parallelism_degree", "expert_load_imbalance_factor", "power_gating_strategy"],
    build({ rows: slice, caption }, extra) {
      const settings = [...new Set(slice.map((r) => r.power_gating_strategy))];
      const metrics = ["Energy per token (J)", "EP group energy over balanced (x)"];
      const values = slice.flatMap((r) => [num(r.energy_per_token_J), num(r.imbalance_energy_overhead)].map((value, i) => ({
        ...carry(r, extra), metric: metrics[i], EP: `EP = ${r.expert_parallelism_degree}`, EPn: num(r.expert_parallelism_degree),
        f: num(r.expert_load_imbalance_factor === "-1" ? r.effective_expert_load_imbalance_factor ?? "" : r.expert_load_imbalance_factor), setting: r.power_gating_strategy, value,
      })));
      return {
        $schema: "https://vega.github.io/schema/vega-lite/v6.json",
        title: titled(this.title, caption),
        data: { values },
        facet: {
          row: { field: "metric", title: null, sort: metrics },
          column: { field: "EP", title: "Expert parallelism", sort: { field: "EPn" } },
        },
        resolve: { scale: { y: "independent" } },
        spec: {
          width: 200, height: 130,
          mark: { type: "line", point: true },
          encoding: {
            x: { field: "f", type: "quantitative", scale: { type: "log", base: 2 }, title: "Imbalance factor f (log scale)" },
            y: { field: "value", type: "quantitative", scale: { zero: false }, title: null },
            color: { field: "setting", type: "nominal", title: "Power gating", sort: settings },
          },
        },
        config: BASE_CONFIG,
      } as TopLevelSpec;
    },
  },
];

export const KIND_NAMES: string[] = FIGURE_KINDS.map((k) => k.name);


function skewLayer() {
  return {
    width: 260, height: 200,
    mark: { type: "line", point: true },
    encoding: {
      x: { field: "f", type: "quantitative", scale: { type: "log", base: 2 }, title: "Imbalance factor f (log scale)" },
      y: { field: "skew", type: "quantitative", scale: { type: "log", base: 2 }, title: "Receiver skew (log scale)" },
      color: { field: "EP", type: "ordinal", title: "EP", scale: { scheme: "viridis" } },
      strokeDash: { field: "W", type: "nominal", title: null },
      detail: { field: "W" },
    },
  };
}
