/** A result set on disk (a run folder or a results CSV), read row by row, for compare, figures and slo. */
import { createReadStream, existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { parse } from "csv-parse";
import { InputError } from "../errors.js";
import { readManifest, RESULTS, runFilesMismatch } from "../engine/manifest.js";

/**
 * A result set: a run folder (its results.csv) or a CSV file. A completed run
 * folder's files must still be what its run wrote (size and sha256 in its manifest).
 */
export function resultsPath(p: string): string {
  const isDir = existsSync(p) && statSync(p).isDirectory();
  const path = isDir ? join(p, RESULTS) : p;
  if (!existsSync(path)) throw new InputError(`${p}: no such result set (expected a run folder with results.csv, or a CSV file)`);
  if (isDir) {
    const m = readManifest(p);
    const bad = m?.status === "complete" ? runFilesMismatch(p, m) : null;
    if (bad) throw new InputError(`${p}: ${bad}; it is not what its run wrote (rerun it with --restart, or name the CSV file directly)`);
  }
  return path;
}

export async function* csvRows(path: string): AsyncGenerator<string[]> {
  const parser = createReadStream(path).pipe(parse({ relax_column_count: false }));
  try {
    for await (const row of parser) yield row as string[];
  } catch (err) {
    throw new InputError(`${path}: malformed CSV: ${(err as Error).message}`);
  }
}

