/** End-to-end: `moesweep run` through the real CLI: determinism, resume after kill -9, errors, exit codes. */
import { describe, expect, it, beforeAll } from "vitest";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { ROOT, moesweep } from "./helpers/cli.js";
import { checkpointed, sizeOf, startRun, waitFor } from "./helpers/run-control.js";

const SMALL = join(ROOT, "test", "fixtures", "sweeps", "small.yaml");
const LONG = join(ROOT, "test", "fixtures", "sweeps", "long.yaml");
const tmp = () => mkdtempSync(join(tmpdir(), "moesweep-"));
const read = (dir: string, f: string) => readFileSync(join(dir, f), "utf8");
const manifest = (dir: string) => JSON.parse(read(dir, "manifest.json"));

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = moesweep(["run", ...args, "--quiet"], { env });
  return r;
}

describe("moesweep run: small sweep", () => {
  let out: string;
  beforeAll(() => {
    out = tmp();
    const r = run([SMALL, "--out", out, "--workers", "2"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("writes results, errors and a manifest with consistent counts", () => {
    const rows = parse(read(out, "results.csv"), { columns: true }) as Record<string, string>[];
    const errs = parse(read(out, "errors.csv"), { columns: true }) as Record<string, string>[];
    const m = manifest(out);
    expect(m.status).toBe("complete");
    expect(m.points).toMatchObject({ total: 96, done: 96, evaluated: 66, filtered: 8, invalid: 22, failed: 0 });
    expect(rows).toHaveLength(66);
    expect(errs).toHaveLength(22);
    expect(m.spec_hash).toMatch(/^[0-9a-f]{16}$/);
    expect(m.moesweep_version).toBe("0.1.0");
    expect(m.node_version).toBe(process.version);
    expect(m.workers).toBe(2);
    // Provenance: what produced these bytes.
    expect(m.provenance.command_line.slice(0, 3)).toEqual(["moesweep", "run", SMALL]);
    expect(m.provenance.catalog_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect([true, false, null]).toContain(m.git_dirty);
  });

  it("invalid points go to errors.csv with their index, the field, the reason and the config", () => {
    const errs = parse(read(out, "errors.csv"), { columns: true }) as Record<string, string>[];
    for (const e of errs) {
      expect(e.kind).toBe("invalid");
      expect(e.field).toBe("expert_load_imbalance_factor");
      expect(e.reason).toMatch(/^expert_load_imbalance_factor = 40: must be -1/);
      expect(JSON.parse(e.config).expert_load_imbalance_factor).toBe(40);
    }
    expect(errs[0].point_index).toBe("12"); // prefill, EP 1, f = 40 (4th value), W = 1, first zip pair
  });

  it("rows carry point_index (ascending), config_key, the swept fields and the outputs", () => {
    const rows = parse(read(out, "results.csv"), { columns: true }) as Record<string, string>[];
    const idx = rows.map((r) => Number(r.point_index));
    expect(idx).toEqual([...idx].sort((a, b) => a - b));
    expect(new Set(rows.map((r) => r.config_key)).size).toBe(rows.length);
    expect(Object.keys(rows[0]).slice(0, 2)).toEqual(["point_index", "config_key"]);
    for (const col of ["phase", "expert_parallelism_degree", "expert_load_imbalance_factor", "num_worst_case_experts", "num_chips", "tensor_parallelism_degree", "receiver_skew", "moe_layer_time_ns"]) {
      expect(rows[0]).toHaveProperty(col);
    }
    const r0 = rows.find((r) => r.expert_parallelism_degree === "8" && r.expert_load_imbalance_factor === "-1" && r.num_worst_case_experts === "1")!;
    expect(Number(r0.receiver_skew)).toBeCloseTo(120832 / 65280, 12);
  });

  it("is byte-identical for any --workers and --chunk-size", () => {
    for (const [workers, chunk] of [["1", "1000"], ["2", "1"], ["2", "7"]]) {
      const o = tmp();
      expect(run([SMALL, "--out", o, "--workers", workers, "--chunk-size", chunk]).status).toBe(0);
      expect(read(o, "results.csv")).toBe(read(out, "results.csv"));
      expect(read(o, "errors.csv")).toBe(read(out, "errors.csv"));
    }
  });

  it("a finished run is not redone; a changed spec is refused unless --restart", () => {
    const again = run([SMALL, "--out", out]);
    expect(again.status).toBe(0);
    expect(again.stdout).toMatch(/already complete/);
    const changed = join(tmp(), "small.yaml");
    writeFileSync(changed, readFileSync(SMALL, "utf8").replace("input_seqlen: 1024", "input_seqlen: 2048"));
    const refused = run([changed, "--out", out]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/different spec .*--restart/);
    expect(run([changed, "--out", out, "--restart"]).status).toBe(0);
    expect(manifest(out).spec.base.input_seqlen).toBe(2048);
  });

  it("a crash fails only its own chunk, not the next task its worker was holding", () => {
    // One worker holds two tasks from the start (points 0-9 and 10-19): the crash on 0-9 takes both
    // down; each is retried alone, so 10-19 succeeds and only 0-9 dies twice.
    const o = tmp();
    const r = run([SMALL, "--out", o, "--chunk-size", "10", "--workers", "1"], { MOESWEEP_TEST_CRASH_AT: "3" });
    expect(r.status).toBe(1);
    const errs = parse(read(o, "errors.csv"), { columns: true }) as Record<string, string>[];
    expect(errs.filter((e) => e.kind === "failed").map((e) => Number(e.point_index))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(manifest(o).points.failed).toBe(10);
  });

  it("a worker crash is retried, then its points are recorded as failed and the run exits 1", () => {
    const o = tmp();
    const r = run([SMALL, "--out", o, "--chunk-size", "10"], { MOESWEEP_TEST_CRASH_AT: "13" });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/10 failed/);
    const errs = parse(read(o, "errors.csv"), { columns: true }) as Record<string, string>[];
    const failed = errs.filter((e) => e.kind === "failed");
    expect(failed.map((e) => Number(e.point_index))).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    expect(failed[0].reason).toMatch(/worker crashed twice/);
    expect(manifest(o).points.failed).toBe(10);
  });
});

describe("moesweep run: bad specs stop before anything is written", () => {
  const cases: [string, string, RegExp][] = [
    ["bad-value.yaml", "name: b\ngrid:\n  expert_load_imbalance_factor: [1, 2, 4, high]\n", /grid\.expert_load_imbalance_factor/],
    ["bad-field.yaml", "name: b\ngrid:\n  expert_imbalance: [1]\n", /expert_imbalance/],
    ["bad-filter.yaml", "name: b\nwhere: num_chips >\n", /where\[0\]: cannot parse/],
    ["bad-yaml.yaml", "name: [b\n", /not valid YAML/],
  ];
  for (const [file, text, msg] of cases) {
    it(`${file}: exit 2, one line naming the problem, no output folder`, () => {
      const dir = tmp();
      const path = join(dir, file);
      writeFileSync(path, text);
      const out = join(dir, "out");
      const r = run([path, "--out", out]);
      expect(r.status).toBe(2);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(msg);
      expect(existsSync(out)).toBe(false);
    });
  }
  it("a missing spec file: exit 2", () => {
    const r = run(["/nonexistent/spec.yaml"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/cannot read spec/);
  });
});

describe("moesweep run: a run that ends while a worker is still loading", () => {
  it("waits for it before closing the pool (Node aborts the process when a worker is terminated mid-load), then completes", () => {
    const out = tmp();
    const marks = tmp();
    // One chunk: the first worker to load evaluates all of it while the other (an even thread id) loads 1.5 s longer.
    const r = run([SMALL, "--out", out, "--workers", "2"], { MOESWEEP_TEST_SLOW_LOAD: `1500,${marks}` });
    expect(r.status, r.stderr).toBe(0);
    expect(manifest(out).status).toBe("complete");
    expect(readdirSync(marks)).toHaveLength(2); // both workers loaded, none cut off
  });
});

describe("moesweep run: interruption and resume", () => {
  let baseline: string;
  beforeAll(() => {
    baseline = tmp();
    expect(run([LONG, "--out", baseline, "--workers", "2"]).status).toBe(0);
  });

  it("after kill -9 at random moments (three times), resuming gives byte-identical output", async () => {
    const out = tmp();
    const args = [LONG, "--out", out, "--workers", "2", "--chunk-size", "512", "--checkpoint-every", "0.2"];
    let kills = 0;
    const full = sizeOf(join(baseline, "results.csv"));
    for (let attempt = 0; attempt < 3; attempt++) {
      // Kill once a random share of the output is on disk (past the previous attempt's progress).
      const target = Math.floor(full * (0.1 + 0.25 * attempt + Math.random() * 0.2));
      const run = startRun(args);
      await waitFor(`${target} bytes of results`, () => sizeOf(join(out, "results.csv")) >= target, run).catch(() => undefined);
      run.child.kill("SIGKILL");
      const r = await run.exited;
      if (r.signal === "SIGKILL") kills++;
      else break; // finished before the kill
    }
    expect(kills).toBeGreaterThan(0);
    const final = run(args);
    expect(final.status).toBe(0);
    expect(manifest(out).status).toBe("complete");
    expect(read(out, "results.csv") === read(baseline, "results.csv")).toBe(true);
    expect(read(out, "errors.csv")).toBe(read(baseline, "errors.csv"));
  });

  it("checkpoints fsync in the background while chunks keep coming: on a slow disk, with one due every millisecond, the final manifest is the complete one and records the files' own digests", () => {
    const out = tmp();
    // Each periodic checkpoint's fsync takes 1.5 s more: one is still under way when the last chunk is
    // written and the pool closes, and the final checkpoint (not slowed) would end first without the wait.
    const r = run([LONG, "--out", out, "--workers", "2", "--chunk-size", "256", "--checkpoint-every", "0.001"], { MOESWEEP_TEST_SLOW_FSYNC_MS: "1500" });
    expect(r.status, r.stderr).toBe(0);
    const m = manifest(out);
    // A background checkpoint finishing after the final one would leave "running" and older counts.
    expect(m.status).toBe("complete");
    expect(m.points.done).toBe(m.points.total);
    for (const f of ["results.csv", "errors.csv"]) {
      const bytes = readFileSync(join(out, f));
      expect(m.files[f]).toEqual({ bytes: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") });
      expect(m.checkpoint[f === "results.csv" ? "results_bytes" : "errors_bytes"]).toBe(bytes.length);
    }
    expect(read(out, "results.csv") === read(baseline, "results.csv")).toBe(true);
  });

  it("a torn last line (power cut mid-write) is truncated on resume", async () => {
    const out = tmp();
    const args = [LONG, "--out", out, "--workers", "2", "--checkpoint-every", "0.2"];
    const running = startRun(args);
    await waitFor("a checkpoint", () => checkpointed(out), running);
    running.child.kill("SIGKILL");
    expect((await running.exited).signal).toBe("SIGKILL");
    writeFileSync(join(out, "results.csv"), "12345,torn-row-without-newl", { flag: "a" });
    expect(run(args).status).toBe(0);
    expect(read(out, "results.csv") === read(baseline, "results.csv")).toBe(true);
  });

  it("SIGINT stops cleanly (exit 130, manifest interrupted) and the rerun completes identically", async () => {
    const out = tmp();
    const args = [LONG, "--out", out, "--workers", "2", "--checkpoint-every", "0.2"];
    const running = startRun(args);
    await waitFor("a checkpoint", () => checkpointed(out), running);
    running.child.kill("SIGINT");
    expect((await running.exited).code).toBe(130);
    const m = manifest(out);
    expect(m.status).toBe("interrupted");
    expect(m.points.done).toBeGreaterThan(0);
    expect(m.points.done).toBeLessThan(m.points.total);
    expect(run(args).status).toBe(0);
    expect(read(out, "results.csv") === read(baseline, "results.csv")).toBe(true);
  });
});

describe("moesweep run: columns", () => {
  it("columns: picks outputs; point_index, config_key and the config fields are always written; config_key: false leaves the key out", () => {
    const dir = tmp();
    const spec = join(dir, "cols.yaml");
    writeFileSync(spec, "name: cols\nbase:\n  input_seqlen: 1024\ngrid:\n  phase: [prefill, decode]\n  expert_parallelism_degree: [1, 8]\ncolumns: [receiver_skew, moe_layer_time_ns]\n");
    const out = join(dir, "a");
    expect(run([spec, "--out", out]).status).toBe(0);
    const header = read(out, "results.csv").split("\n")[0].split(",");
    expect(header).toEqual(["point_index", "config_key", "model", "chip", "phase", "input_seqlen", "expert_parallelism_degree",
      "expert_load_imbalance_factor", "num_worst_case_experts", "receiver_skew", "moe_layer_time_ns"]);
    writeFileSync(spec, `${readFileSync(spec, "utf8")}config_key: false\n`);
    const noKey = join(dir, "b");
    expect(run([spec, "--out", noKey]).status).toBe(0);
    const rowsA = read(out, "results.csv").split("\n").map((l) => l.split(",").filter((_, i) => i !== 1).join(","));
    expect(read(noKey, "results.csv")).toBe(rowsA.join("\n"));
  });
});

describe("moesweep run: out-of-memory points", () => {
  it("are counted in the summary and manifest; keep: fits (or --drop-oom) leaves them out, counted", () => {
    const dir = tmp();
    const spec = join(dir, "oom.yaml");
    writeFileSync(spec, "name: oom\nbase:\n  model: deepseekv3-671b\n  num_chips: 16\n  tensor_parallelism_degree: 16\n  input_seqlen: 1024\ngrid:\n  chip: [tpuv5p, tpuv6e]\n  phase: [prefill, decode]\n  global_batch_size: [1, 256]\n");
    const all = join(dir, "all");
    const r = run([spec, "--out", all]);
    expect(r.status).toBe(0);
    const rows = parse(read(all, "results.csv"), { columns: true }) as Record<string, string>[];
    const oom = rows.filter((x) => x.out_of_memory === "true").length;
    expect(oom).toBeGreaterThanOrEqual(4); // every v6e row: 671B does not fit on 16 x 32 GiB
    expect(oom).toBeLessThan(rows.length);
    expect(r.stdout).toContain(`${rows.length} results (${oom} out of memory)`);
    expect(manifest(all).points).toMatchObject({ evaluated: rows.length, out_of_memory: oom, dropped_oom: 0 });

    const fits = join(dir, "fits");
    const d = run([spec, "--out", fits, "--drop-oom"]);
    expect(d.status).toBe(0);
    const kept = parse(read(fits, "results.csv"), { columns: true }) as Record<string, string>[];
    expect(kept.every((x) => x.out_of_memory === "false")).toBe(true);
    expect(kept.map((x) => x.point_index)).toEqual(rows.filter((x) => x.out_of_memory === "false").map((x) => x.point_index));
    expect(d.stdout).toContain(`${kept.length} results, ${oom} out of memory left out`);
    expect(manifest(fits).points).toMatchObject({ evaluated: kept.length, out_of_memory: 0, dropped_oom: oom });
    expect(manifest(fits).spec.keep).toBe("fits");
  });
});
