/** End-to-end: `moesweep compare` on identical, changed, disjoint and malformed inputs; the shipped regression suite. */
import { beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { stringify } from "csv-stringify/sync";
import { ROOT, moesweep } from "./helpers/cli.js";

const SMALL = join(ROOT, "test", "fixtures", "sweeps", "small.yaml");
const tmp = () => mkdtempSync(join(tmpdir(), "moesweep-cmp-"));

let base: string;
let rows: string[][];
beforeAll(() => {
  base = tmp();
  expect(moesweep(["run", SMALL, "--out", base, "--quiet"]).status).toBe(0);
  rows = parse(readFileSync(join(base, "results.csv"))) as string[][];
});

/** A result set derived from the baseline rows. */
function variant(edit: (header: string[], body: string[][]) => string[][]): string {
  const dir = tmp();
  const [header, ...body] = structuredClone(rows);
  writeFileSync(join(dir, "results.csv"), stringify([header, ...edit(header, body)]));
  return dir;
}

const json = (args: string[]) => {
  const r = moesweep(["compare", ...args, "--json"]);
  return { status: r.status, report: r.stdout ? JSON.parse(r.stdout) : null, stderr: r.stderr };
};

describe("moesweep compare", () => {
  it("identical inputs: byte-identical, exit 0", () => {
    const r = moesweep(["compare", base, base]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/byte-identical/);
    expect(r.stdout).toMatch(/PASS/);
  });

  it("a known change: exact ratios per group, changed counts, top rows, exit 1", () => {
    const changed = variant((h, body) => {
      const m = h.indexOf("moe_layer_time_ns"), p = h.indexOf("phase");
      for (const r of body) if (r[p] === "decode") r[m] = String(Number(r[m]) * 0.9);
      return body;
    });
    const { status, report } = json([base, changed, "--by", "phase"]);
    expect(status).toBe(1);
    expect(report.identical).toBe(false);
    const decode = report.groups.find((g: { group: { phase: string } }) => g.group.phase === "decode");
    const prefill = report.groups.find((g: { group: { phase: string } }) => g.group.phase === "prefill");
    const moe = decode.metrics.find((m: { metric: string }) => m.metric === "moe_layer_time_ns");
    expect(moe.changed).toBe(decode.rows);
    expect(moe.min).toBeCloseTo(0.9, 12);
    expect(moe.median).toBeCloseTo(0.9, 12);
    expect(moe.max).toBeCloseTo(0.9, 12);
    expect(decode.metrics.filter((m: { changed: number }) => m.changed > 0)).toHaveLength(1);
    expect(prefill.metrics.every((m: { changed: number }) => m.changed === 0)).toBe(true);
    expect(report.top_changes[0].metric).toBe("moe_layer_time_ns");
    // Each change names its design point, not only its key.
    expect(report.top_changes[0].config).toMatchObject({ phase: "decode" });
    expect(Object.keys(report.top_changes[0].config)).toEqual(expect.arrayContaining(["model", "chip", "expert_parallelism_degree", "expert_load_imbalance_factor"]));
    const text = moesweep(["compare", base, changed]).stdout;
    expect(text).toMatch(/largest changes \(top 10\), all at .*phase=decode/);
    expect(text).toMatch(/^config +metric +baseline +candidate +ratio +config_key$/m);
    expect(report.max_abs_change).toBeCloseTo(0.1, 12);
    // within a looser gate it passes
    expect(moesweep(["compare", base, changed, "--fail-above", "0.2"]).status).toBe(0);
  });

  it("a change below --tolerance is no change", () => {
    const tiny = variant((h, body) => {
      const m = h.indexOf("phase_time_ns");
      for (const r of body) r[m] = String(Number(r[m]) * (1 + 1e-12));
      return body;
    });
    const { status, report } = json([base, tiny]);
    expect(status).toBe(0);
    expect(report.groups[0].metrics.every((m: { changed: number }) => m.changed === 0)).toBe(true);
  });

  it("points on one side only are reported and fail the gate", () => {
    const fewer = variant((_h, body) => body.slice(3));
    const { status, report } = json([base, fewer]);
    expect(status).toBe(1);
    expect(report.only_in_baseline.count).toBe(3);
    expect(report.only_in_candidate.count).toBe(0);
    expect(report.only_in_baseline.examples).toEqual(rows.slice(1, 4).map((r) => r[1]));
  });

  it("bad input exits 2: disjoint keys, different columns, malformed CSV, missing file", () => {
    const disjoint = variant((h, body) => body.map((r) => { r[h.indexOf("config_key")] += "x"; return r; }));
    expect(moesweep(["compare", base, disjoint]).stderr).toMatch(/share no config_key/);
    expect(moesweep(["compare", base, disjoint]).status).toBe(2);
    const fewerCols = tmp();
    writeFileSync(join(fewerCols, "results.csv"), stringify(rows.map((r) => r.slice(0, -1))));
    const cols = moesweep(["compare", base, fewerCols]);
    expect(cols.status).toBe(2);
    expect(cols.stderr).toMatch(/different columns \(only in baseline: eplb_busiest_device_load_ratio/);
    const bad = tmp();
    writeFileSync(join(bad, "results.csv"), `${rows[0].join(",")}\n1,2,3\n`);
    const mal = moesweep(["compare", base, bad]);
    expect(mal.status).toBe(2);
    expect(mal.stderr).toMatch(/malformed CSV/);
    const missing = moesweep(["compare", base, "/nonexistent"]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/no such result set/);
  });

  it("--markdown renders a table for a pull request", () => {
    const changed = variant((h, body) => { body[0][h.indexOf("receiver_skew")] = "2"; return body; });
    const r = moesweep(["compare", base, changed, "--markdown"]);
    expect(r.stdout).toMatch(/^### moesweep compare/);
    expect(r.stdout).toMatch(/\| group \| metric \| changed \| min \| median \| max \|/);
    expect(r.stdout).toMatch(/\*\*FAIL/);
  });
});

describe("the shipped regression suite", () => {
  it("sweeps/regression.yaml still produces the committed baseline (refresh with npm run regression:refresh)", () => {
    const out = join(tmp(), "regression");
    mkdirSync(out, { recursive: true });
    expect(moesweep(["run", join(ROOT, "sweeps", "regression.yaml"), "--out", out, "--quiet", "--restart"]).status).toBe(0);
    const r = moesweep(["compare", join(ROOT, "test", "fixtures", "regression"), out, "--by", "model,phase", "--fail-above", "0"]);
    expect(r.stdout).toMatch(/byte-identical/);
    expect(r.status).toBe(0);
    expect(readFileSync(join(out, "errors.csv"), "utf8")).toBe(readFileSync(join(ROOT, "test", "fixtures", "regression", "errors.csv"), "utf8"));
  });
});
