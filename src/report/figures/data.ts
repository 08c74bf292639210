/** Loading a result set for figures, and picking the slice a figure shows. */
import { compileExpression } from "filtrex";
import { FIELD_NAMES } from "../../model/config.js";
import { csvRows, resultsPath } from "../result-set.js";
import { InputError } from "../../errors.js";

export type Row = Record<string, string>;

export class FigureInputError extends InputError {}

/**
 * A result set's rows, streamed (a 10-million-row sweep is never held in memory): the header
 * first, then each row as an object. Figures keep only the rows their slices need.
 */
export async function forEachRow(dir: string, onHeader: (path: string, columns: string[]) => void, onRow: (r: Row) => void): Promise<void> {
  const path = resultsPath(dir);
  let columns: string[] | undefined;
  for await (const r of csvRows(path)) {
    if (!columns) {
      columns = r;
      onHeader(path, columns);
      continue;
    }
    const row: Row = {};
    for (let i = 0; i < columns.length; i++) row[columns[i]] = r[i];
    onRow(row);
  }
  if (!columns) onHeader(path, []);
}

const CONFIG_COLUMNS = new Set<string>(FIELD_NAMES);

/**
 * Keeps one value of every config column a figure does not show (the first
 * value met, in point order), so each plotted series is one design point per x,
 * as the rows stream by: a row is kept when it matches the first row on every
 * such column. Its caption names every field held fixed (those the sweep fixed
 * too) and, for those that had several values, which was picked and among which
 * (the values met among rows that match the first on the columns before it).
 */
export class SliceCollector {
  private first: Row | undefined;
  private held: string[] = [];
  /** Distinct values met per held column (up to 7: enough to say "..."). */
  private seen: string[][] = [];
  readonly rows: Row[] = [];

  constructor(private readonly shown: readonly string[]) {}

  add(r: Row): void {
    if (!this.first) {
      this.first = r;
      this.held = Object.keys(r).filter((c) => CONFIG_COLUMNS.has(c) && !this.shown.includes(c));
      this.seen = this.held.map(() => []);
    }
    const first = this.first;
    let j = 0;
    for (; j < this.held.length; j++) {
      const v = r[this.held[j]];
      const seen = this.seen[j];
      if (seen.length < 7 && !seen.includes(v)) seen.push(v);
      if (v !== first[this.held[j]]) return;
    }
    this.rows.push(r);
  }

  get caption(): string {
    if (!this.first) return "";
    const first = this.first;
    const picked = this.held.flatMap((c, j) => this.seen[j].length > 1
      ? [`${c} = ${first[c]} (of ${this.seen[j].slice(0, 6).join(", ")}${this.seen[j].length > 6 ? ", ..." : ""})`] : []);
    const fixed = this.held.map((c) => `${c} = ${first[c]}`);
    return fixed.join(", ") + (picked.length ? `. Picked ${picked.join("; ")}: choose others with --where` : "");
  }
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
