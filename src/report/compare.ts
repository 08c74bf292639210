/**
 * Regression comparison of two result sets, joined on config_key: per group and
 * metric, how many rows changed and the min / median / max ratio
 * candidate / baseline; points present on one side only; the largest changes.
 */
import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { OUTPUT_COLUMNS } from "../model/evaluate.js";
import { ENERGY_COLUMNS } from "../model/energy/energy-columns.js";
import { FIELD_BY_NAME } from "../model/config.js";
import { InputError } from "../errors.js";
import { csvRows, resultsPath } from "./result-set.js";

export class CompareInputError extends InputError {}

export interface CompareOptions {
  by: string[];
  metrics?: string[];
  /** Relative difference under which two values count as equal. */
  tolerance: number;
  /** Largest |ratio - 1| that still passes. */
  failAbove: number;
  top: number;
}

export interface MetricSummary { metric: string; rows: number; changed: number; min: number; median: number; max: number }
export interface GroupSummary { group: Record<string, string>; rows: number; metrics: MetricSummary[] }
export interface Change {
  config_key: string;
  /** The point's config fields (the columns results.csv records), so a change reads as a design point. */
  config: Record<string, string>;
  group: Record<string, string>; metric: string; baseline: string; candidate: string; ratio: number;
}

export interface CompareReport {
  baseline: { path: string; rows: number };
  candidate: { path: string; rows: number };
  identical: boolean;
  common: number;
  only_in_baseline: { count: number; examples: string[] };
  only_in_candidate: { count: number; examples: string[] };
  metrics: string[];
  by: string[];
  groups: GroupSummary[];
  top_changes: Change[];
  max_abs_change: number;
  tolerance: number;
  fail_above: number;
  pass: boolean;
}

function fileHash(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos), hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** candidate / baseline, with 0/0 = 1; NaN when a side is empty or not a number. */
export function ratioOf(base: string, cand: string): number {
  if (base === cand) return 1;
  const b = Number(base), c = Number(cand);
  if (base === "" || cand === "" || Number.isNaN(b) || Number.isNaN(c)) return NaN;
  if (b === 0) return c === 0 ? 1 : c > 0 ? Infinity : -Infinity;
  return c / b;
}

export async function compareResults(baselineArg: string, candidateArg: string, opts: CompareOptions): Promise<CompareReport> {
  const basePath = resultsPath(baselineArg);
  const candPath = resultsPath(candidateArg);

  const base = new Map<string, string[]>();
  let baseHeader: string[] | undefined;
  for await (const row of csvRows(basePath)) {
    if (!baseHeader) { baseHeader = row; continue; }
    base.set(row[keyIndex(baseHeader, basePath)], row);
  }
  if (!baseHeader) throw new CompareInputError(`${basePath}: empty file`);
  const identical = fileHash(basePath) === fileHash(candPath);

  let candHeader: string[] | undefined;
  const seen = new Set<string>();
  const onlyCand: string[] = [];
  let onlyCandCount = 0;
  let candRows = 0;
  let metrics: string[] = [];
  let idx: { key: number; by: number[]; metrics: number[]; baseMetrics: number[] } | undefined;
  const groups = new Map<string, { group: Record<string, string>; rows: number; ratios: number[][]; changed: number[] }>();
  const changes: Change[] = [];
  let maxAbs = 0;
  let configCols: [string, number][] = [];

  for await (const row of csvRows(candPath)) {
    if (!candHeader) {
      candHeader = row;
      const a = [...baseHeader].sort().join(","), b = [...candHeader].sort().join(",");
      if (a !== b) {
        const missing = baseHeader.filter((c) => !candHeader!.includes(c));
        const extra = candHeader.filter((c) => !baseHeader!.includes(c));
        throw new CompareInputError(`the result sets have different columns (only in baseline: ${missing.join(", ") || "-"}; only in candidate: ${extra.join(", ") || "-"})`);
      }
      for (const c of opts.by) if (!candHeader.includes(c)) throw new CompareInputError(`--by ${c}: no such column; columns: ${candHeader.join(", ")}`);
      const outputs = new Set<string>([...OUTPUT_COLUMNS.filter((c) => c !== "out_of_memory"), ...ENERGY_COLUMNS]);
      metrics = opts.metrics ?? candHeader.filter((c) => outputs.has(c));
      for (const m of metrics) if (!candHeader.includes(m)) throw new CompareInputError(`--metrics ${m}: no such column; columns: ${candHeader.join(", ")}`);
      configCols = candHeader.map((c, i) => [c, i] as [string, number]).filter(([c]) => FIELD_BY_NAME.has(c));
      idx = { key: keyIndex(candHeader, candPath), by: opts.by.map((c) => candHeader!.indexOf(c)), metrics: metrics.map((c) => candHeader!.indexOf(c)), baseMetrics: metrics.map((c) => baseHeader!.indexOf(c)) };
      continue;
    }
    candRows++;
    const key = row[idx!.key];
    const b = base.get(key);
    if (!b) {
      if (onlyCandCount++ < 5) onlyCand.push(key);
      continue;
    }
    seen.add(key);
    const groupValues = idx!.by.map((i) => row[i]);
    const gk = groupValues.join("\u0000");
    let g = groups.get(gk);
    if (!g) {
      g = { group: Object.fromEntries(opts.by.map((c, i) => [c, groupValues[i]])), rows: 0, ratios: metrics.map(() => []), changed: metrics.map(() => 0) };
      groups.set(gk, g);
    }
    g.rows++;
    idx!.metrics.forEach((ci, mi) => {
      const bv = b[idx!.baseMetrics[mi]], cv = row[ci];
      if (bv === "" && cv === "") return;
      const r = ratioOf(bv, cv);
      g!.ratios[mi].push(r);
      const bn = Number(bv), cn = Number(cv);
      const differs = Number.isNaN(r) || Math.abs(cn - bn) > opts.tolerance * Math.max(Math.abs(bn), Math.abs(cn));
      if (!differs) return;
      g!.changed[mi]++;
      const dev = Number.isNaN(r) ? Infinity : Math.abs(r - 1);
      if (dev > maxAbs) maxAbs = dev;
      changes.push({ config_key: key, config: Object.fromEntries(configCols.map(([c, i]) => [c, row[i]])), group: g!.group, metric: metrics[mi], baseline: bv, candidate: cv, ratio: r });
      if (changes.length > opts.top * 50) trimChanges(changes, opts.top);
    });
  }
  if (!candHeader) throw new CompareInputError(`${candPath}: empty file`);
  if (seen.size === 0 && (base.size > 0 || candRows > 0)) throw new CompareInputError("the result sets share no config_key: nothing to compare");
  const onlyBase = [...base.keys()].filter((k) => !seen.has(k));
  trimChanges(changes, opts.top);

  const groupSummaries: GroupSummary[] = [...groups.values()]
    .sort((x, y) => JSON.stringify(x.group).localeCompare(JSON.stringify(y.group), "en", { numeric: true }))
    .map((g) => ({
      group: g.group,
      rows: g.rows,
      metrics: metrics.map((metric, mi) => {
        const finite = Float64Array.from(g.ratios[mi].filter((r) => !Number.isNaN(r))).sort();
        return { metric, rows: g.ratios[mi].length, changed: g.changed[mi], min: finite[0] ?? NaN, median: quantile(finite, 0.5), max: finite[finite.length - 1] ?? NaN };
      }),
    }));
  return {
    baseline: { path: basePath, rows: base.size },
    candidate: { path: candPath, rows: candRows },
    identical,
    common: seen.size,
    only_in_baseline: { count: onlyBase.length, examples: onlyBase.slice(0, 5) },
    only_in_candidate: { count: onlyCandCount, examples: onlyCand },
    metrics,
    by: opts.by,
    groups: groupSummaries,
    top_changes: changes,
    max_abs_change: maxAbs,
    tolerance: opts.tolerance,
    fail_above: opts.failAbove,
    pass: maxAbs <= opts.failAbove && onlyBase.length === 0 && onlyCandCount === 0,
  };
}

function keyIndex(header: string[], path: string): number {
  const i = header.indexOf("config_key");
  if (i < 0) throw new CompareInputError(`${path}: no config_key column; is it a moesweep results.csv?`);
  return i;
}

/** Keep the `top` largest changes (by |ratio - 1|). */
function trimChanges(changes: Change[], top: number): void {
  const dev = (c: Change) => (Number.isNaN(c.ratio) ? Infinity : Math.abs(c.ratio - 1));
  changes.sort((a, b) => dev(b) - dev(a) || a.config_key.localeCompare(b.config_key));
  changes.length = Math.min(changes.length, top);
}
