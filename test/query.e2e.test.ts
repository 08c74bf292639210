/** End-to-end: Parquet output, SQL over results (DuckDB), and the data dictionary. */
import { describe, expect, it, beforeAll } from "vitest";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { ROOT, moesweep } from "./helpers/cli.js";

const SMALL = join(ROOT, "test", "fixtures", "sweeps", "small.yaml");
let out: string;
beforeAll(() => {
  out = join(mkdtempSync(join(tmpdir(), "moesweep-q-")), "o");
  const r = moesweep(["run", SMALL, "--out", out, "--format", "both", "--quiet"]);
  expect(r.status, r.stderr).toBe(0);
});

const query = (sql: string, ...flags: string[]) => moesweep(["query", out, sql, ...flags]);

describe("Parquet and SQL", () => {
  it("results.parquet has the CSV's rows in the CSV's order, value for value", () => {
    const csv = parse(readFileSync(join(out, "results.csv")), { columns: true }) as Record<string, string>[];
    const r = moesweep(["query", out, "SELECT * FROM read_parquet('" + join(out, "results.parquet") + "')", "--json"]);
    expect(r.status, r.stderr).toBe(0);
    const pq = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(pq).toHaveLength(csv.length);
    const asCsv = (v: unknown) => (v === null ? "" : typeof v === "number" ? String(v) : String(v));
    pq.forEach((row, i) => {
      expect(Object.keys(row)).toEqual(Object.keys(csv[i]));
      for (const [k, v] of Object.entries(row)) {
        // BIGINT comes back as a string in JSON; doubles as numbers: compare as CSV text.
        expect(asCsv(v), `${k} row ${i}`).toBe(csv[i][k]);
      }
    });
  });

  it("typed columns: numbers compare as numbers, booleans as booleans", () => {
    const r = query("SELECT expert_parallelism_degree AS ep, max(receiver_skew) AS skew, bool_or(out_of_memory) AS oom FROM results " +
      "WHERE phase = 'prefill' AND expert_load_imbalance_factor = -1 AND num_worst_case_experts = 1 GROUP BY 1 ORDER BY 1", "--csv");
    expect(r.status, r.stderr).toBe(0);
    const rows = parse(r.stdout, { columns: true }) as Record<string, string>[];
    expect(rows.map((x) => x.ep)).toEqual(["1", "4", "8"]);
    expect(Number(rows[0].skew)).toBe(1);
    expect(Number(rows[2].skew)).toBeCloseTo(120832 / 65280, 12);
    expect(query("SELECT count(*) AS n FROM errors WHERE kind = 'invalid'", "--csv").stdout).toBe("n\n22\n");
  });

  it("a bad query or folder exits 2 with one line", () => {
    const bad = query("SELECT nope FROM results");
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^moesweep: SQL error: Binder Error: .*nope/);
    expect(moesweep(["query", "/nonexistent", "SELECT 1"]).status).toBe(2);
  });
});

describe("data dictionary", () => {
  it("moesweep columns --json lists every column a full results.csv has, and nothing else", () => {
    const dir = mkdtempSync(join(tmpdir(), "moesweep-cols-"));
    const r = moesweep(["run", join(ROOT, "sweeps", "regression.yaml"), "--out", join(dir, "o"), "--quiet"]);
    expect(r.status, r.stderr).toBe(0);
    const docs = JSON.parse(moesweep(["columns", "--json"]).stdout) as { name: string; unit: string; type: string; meaning: string }[];
    const header = readFileSync(join(dir, "o", "results.csv"), "utf8").split("\n")[0].split(",");
    const outputs = docs.filter((d) => (d as unknown as { kind: string }).kind === "output").map((d) => d.name);
    expect(header.filter((h) => outputs.includes(h))).toEqual(outputs);
    expect(header.every((h) => docs.some((d) => d.name === h))).toBe(true);
    for (const d of docs) expect(d.meaning.length, d.name).toBeGreaterThan(5);
    expect(docs.find((d) => d.name === "memory_footprint_GB")!.unit).toBe("GiB");
    expect(docs.find((d) => d.name === "hbm_size_GB")!.unit).toBe("GiB");
    // The run wrote its own columns.json: exactly its header, documented.
    const own = JSON.parse(readFileSync(join(dir, "o", "columns.json"), "utf8")) as { name: string }[];
    expect(own.map((d) => d.name)).toEqual(header);
  });
});
