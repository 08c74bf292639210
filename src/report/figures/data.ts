/** Loading a result set for figures, and picking the slice a figure shows. */
import { readFileSync } from "node:fs";
import { parse } from "csv-parse/sync";
import { FIELD_NAMES } from "../../model/config.js";
import { resultsPath } from "../compare.js";
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
 * Returns the kept rows and a caption naming the slice.
 */
export function sliceRows(rows: Row[], shown: string[]): { rows: Row[]; caption: string } {
  const fixed: [string, string][] = [];
  let kept = rows;
  const columns = rows.length ? Object.keys(rows[0]) : [];
  for (const c of columns) {
    if (!CONFIG_COLUMNS.has(c) || shown.includes(c)) continue;
    const values = new Set(kept.map((r) => r[c]));
    if (values.size <= 1) continue;
    const first = kept[0][c];
    kept = kept.filter((r) => r[c] === first);
    fixed.push([c, first]);
  }
  return { rows: kept, caption: fixed.map(([c, v]) => `${c} = ${v}`).join(", ") };
}

/** The config columns (as opposed to outputs) of a result set. */
export function configColumnsOf(rows: Row[]): string[] {
  return rows.length ? Object.keys(rows[0]).filter((c) => CONFIG_COLUMNS.has(c)) : [];
}

export const num = (v: string | undefined) => (v === undefined || v === "" ? NaN : Number(v));
