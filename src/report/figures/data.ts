/** Loading a result set for figures, and picking the slice a figure shows. */
import { readFileSync } from "node:fs";
import { parse } from "csv-parse/sync";
import { compileExpression } from "filtrex";
import { FIELD_NAMES } from "../../model/config.js";
import { resultsPath } from "../result-set.js";
import { InputError } from "../../errors.js";

export type Row = Record<string, string>;

export class FigureInputError extends InputError {}

export function loadRows(dir: string): { path: string; columns: string[]; rows: Row[] } {
  let path: string;
  try {
    path = resultsPath(dir);
  } catch (err) {
    throw new FigureInputError((err as Error).message);
  }
  const text = readFileSync(path, "utf8");
  let records: string[][];
  try {
    records = parse(text) as string[][];
  } catch (err) {
    throw new FigureInputError(`${path}: malformed CSV: ${(err as Error).message}`);
  }
  const [columns = [], ...body] = records;
  return { path, columns, rows: body.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i]]))) };
}

const CONFIG_COLUMNS = new Set<string>(FIELD_NAMES);

/**
 * Keep one value of every config column the figure does not show (the first
 * value met, in point order), so each plotted series is one design point per x.
 * Returns the kept rows and a caption naming every field held fixed (those the
 * sweep fixed too) and, for those that had several values, which was picked.
 */
export function sliceRows(rows: Row[], shown: string[]): { rows: Row[]; caption: string } {
  const picked: string[] = [];
  let kept = rows;
  const columns = rows.length ? Object.keys(rows[0]) : [];
  for (const c of columns) {
    if (!CONFIG_COLUMNS.has(c) || shown.includes(c)) continue;
    const values = [...new Set(kept.map((r) => r[c]))];
    if (values.length <= 1) continue;
    const first = kept[0][c];
    kept = kept.filter((r) => r[c] === first);
    picked.push(`${c} = ${first} (of ${values.slice(0, 6).join(", ")}${values.length > 6 ? ", ..." : ""})`);
  }
  const fixed = columns.filter((c) => CONFIG_COLUMNS.has(c) && !shown.includes(c) && kept.length > 0)
    .map((c) => `${c} = ${kept[0][c]}`);
  const caption = fixed.join(", ") + (picked.length ? `. Picked ${picked.join("; ")}: choose others with --where` : "");
  return { rows: kept, caption };
}

/** A filter over result rows in the spec's filter language (filtrex), on typed values. */
export function whereFilter(expr: string): (r: Row) => boolean {
  let fn: (v: Record<string, unknown>) => unknown;
  try {
    fn = compileExpression(expr) as (v: Record<string, unknown>) => unknown;
  } catch (err) {
    throw new FigureInputError(`--where "${expr}": cannot parse: ${(err as Error).message.split("\n").pop()}`);
  }
  return (r) => {
    const typed: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r)) typed[k] = v === "true" ? true : v === "false" ? false : v !== "" && Number.isFinite(Number(v)) ? Number(v) : v;
    const out = fn(typed);
    if (out instanceof Error) throw new FigureInputError(`--where "${expr}": ${out.message}`);
    return Boolean(out);
  };
}

/** The config columns (as opposed to outputs) of a result set. */
export function configColumnsOf(rows: Row[]): string[] {
  return rows.length ? Object.keys(rows[0]).filter((c) => CONFIG_COLUMNS.has(c)) : [];
}

export const num = (v: string | undefined) => (v === undefined || v === "" ? NaN : Number(v));
