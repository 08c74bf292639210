/**
 * Results through DuckDB (an embedded analytical database): results.parquet
 * written from results.csv with the data dictionary's column types, and SQL over
 * a run folder (`moesweep query`). DuckDB streams, so a 10M-row result set is
 * never loaded into this process's memory.
 */
import { closeSync, existsSync, openSync, readSync, renameSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { InputError } from "../errors.js";
import { readManifest, runFilesMismatch, RESULTS, ERRORS } from "../engine/manifest.js";
import { columnDoc, type ColumnType } from "../model/columns.js";

export const PARQUET = "results.parquet";

export class QueryError extends InputError {}

const SQL_TYPE: Record<ColumnType, string> = { int: "BIGINT", double: "DOUBLE", bool: "BOOLEAN", string: "VARCHAR" };

/** The first line of a CSV file, split (moesweep headers never need quoting). */
function headerOf(path: string): string[] {
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.alloc(64 * 1024);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const text = buf.subarray(0, n).toString("utf8");
    const nl = text.indexOf("\n");
    return (nl < 0 ? text : text.slice(0, nl)).split(",");
  } finally {
    closeSync(fd);
  }
}

const sqlString = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** A DuckDB read_csv of a moesweep CSV with every column's type given (nothing guessed). */
function readCsvSql(path: string): string {
  const types = headerOf(path).map((name) => {
    const doc = columnDoc(name);
    return `${sqlString(name)}: '${doc ? SQL_TYPE[doc.type] : "VARCHAR"}'`;
  });
  return `read_csv(${sqlString(path)}, header = true, auto_detect = false, columns = {${types.join(", ")}})`;
}

async function withConnection<T>(f: (c: DuckDBConnection) => Promise<T>): Promise<T> {
  const db = await DuckDBInstance.create(":memory:");
  const conn = await db.connect();
  try {
    return await f(conn);
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

/** Write results.parquet beside results.csv: same rows, same order, typed columns. Atomic (temp file, then rename). */
export async function writeParquet(dir: string): Promise<string> {
  const out = join(dir, PARQUET);
  const tmp = `${out}.tmp`;
  await withConnection(async (c) => {
    await c.run("SET preserve_insertion_order = true");
    await c.run(`COPY (SELECT * FROM ${readCsvSql(join(dir, RESULTS))}) TO ${sqlString(tmp)} (FORMAT parquet, COMPRESSION zstd)`);
  });
  renameSync(tmp, out);
  return out;
}

export interface QueryResult {
  columns: string[];
  rows: unknown[][];
}

/**
 * Run SQL over a run folder: `results` (results.parquet when present, else
 * results.csv, typed) and `errors` are views. A complete run's files are
 * verified against its manifest first.
 */
export async function queryResults(dir: string, sql: string): Promise<QueryResult> {
  const csv = join(dir, RESULTS);
  if (!existsSync(csv)) throw new QueryError(`${dir}: no results.csv; name a moesweep run folder`);
  const m = readManifest(dir);
  if (m?.status === "complete") {
    const bad = runFilesMismatch(dir, m);
    if (bad) throw new QueryError(`${dir}: ${bad}; rerun it with --restart`);
  }
  const parquet = join(dir, PARQUET);
  const source = existsSync(parquet) ? `read_parquet(${sqlString(parquet)})` : readCsvSql(csv);
  return withConnection(async (c) => {
    await c.run(`CREATE VIEW results AS SELECT * FROM ${source}`);
    if (existsSync(join(dir, ERRORS))) {
      await c.run(`CREATE VIEW errors AS SELECT * FROM read_csv(${sqlString(join(dir, ERRORS))}, header = true, all_varchar = true)`);
    }
    let reader;
    try {
      reader = await c.runAndReadAll(sql);
    } catch (err) {
      throw new QueryError(`SQL error: ${(err as Error).message.split("\n")[0]}`);
    }
    return { columns: reader.columnNames(), rows: reader.getRowsJson() as unknown[][] };
  });
}
