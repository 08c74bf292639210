/** End-to-end: shards (by flag, Slurm and Kubernetes environments) merge to the bytes of a single run. */
import { beforeAll, describe, expect, it } from "vitest";
import { cpSync, mkdtempSync, readFileSync, readdirSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, moesweep } from "./helpers/cli.js";

const SMALL = join(ROOT, "test", "fixtures", "sweeps", "small.yaml");
const tmp = () => mkdtempSync(join(tmpdir(), "moesweep-shard-"));
const read = (dir: string, f: string) => readFileSync(join(dir, f), "utf8");
const runQuiet = (args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string) => moesweep(["run", ...args, "--quiet"], { env, cwd });

let single: string;
beforeAll(() => {
  single = tmp();
  expect(runQuiet([SMALL, "--out", single]).status).toBe(0);
});

function expectSameAsSingle(merged: string): void {
  expect(read(merged, "results.csv")).toBe(read(single, "results.csv"));
  expect(read(merged, "errors.csv")).toBe(read(single, "errors.csv"));
  const m = JSON.parse(read(merged, "manifest.json"));
  expect(m.status).toBe("complete");
  expect(m.shard).toBeNull();
  expect(m.points).toMatchObject({ total: 96, done: 96, evaluated: 66, filtered: 8, invalid: 22, failed: 0 });
}

describe("shard + merge equals a single run", () => {
  for (const n of [1, 2, 5]) {
    it(`--shard i/${n}`, () => {
      const dir = tmp();
      for (let i = 0; i < n; i++) expect(runQuiet([SMALL, "--shard", `${i}/${n}`, "--out", join(dir, `s${i}`), "--workers", "1"]).status).toBe(0);
      const shardDirs = [...Array(n).keys()].reverse().map((i) => join(dir, `s${i}`));
      const m = moesweep(["merge", ...shardDirs, "--out", join(dir, "merged")]);
      expect(m.stderr).toBe("");
      expect(m.status).toBe(0);
      expectSameAsSingle(join(dir, "merged"));
    });
  }

  it("more shards than points: the empty shards merge too", () => {
    const dir = tmp();
    const spec = join(dir, "tiny.yaml");
    writeFileSync(spec, "name: tiny\ngrid:\n  expert_load_imbalance_factor: [1, 2, -1]\n");
    const one = join(dir, "one");
    expect(runQuiet([spec, "--out", one]).status).toBe(0);
    for (let i = 0; i < 5; i++) expect(runQuiet([spec, "--shard", `${i}/5`, "--out", join(dir, `s${i}`), "--workers", "1"]).status).toBe(0);
    expect(JSON.parse(read(join(dir, "s4"), "manifest.json")).range).toEqual({ start: 3, end: 3 });
    expect(moesweep(["merge", ...[0, 1, 2, 3, 4].map((i) => join(dir, `s${i}`)), "--out", join(dir, "merged")]).status).toBe(0);
    expect(read(join(dir, "merged"), "results.csv")).toBe(read(one, "results.csv"));
    expect(read(join(dir, "merged"), "results.csv").split("\n")).toHaveLength(5); // header + 3 rows + final newline
  });

  it("Slurm job array (SLURM_ARRAY_TASK_ID from 1, as --array=1-4 gives), default output folders", () => {
    const cwd = tmp();
    cpSync(SMALL, join(cwd, "small.yaml"));
    for (let id = 1; id <= 4; id++) {
      const r = runQuiet(["small.yaml", "--workers", "1"], { SLURM_ARRAY_TASK_ID: String(id), SLURM_ARRAY_TASK_MIN: "1", SLURM_ARRAY_TASK_COUNT: "4" }, cwd);
      expect(r.status).toBe(0);
    }
    const dirs = readdirSync(join(cwd, "results")).sort();
    expect(dirs).toEqual(["small.shard-0000-of-0004", "small.shard-0001-of-0004", "small.shard-0002-of-0004", "small.shard-0003-of-0004"]);
    expect(moesweep(["merge", ...dirs.map((d) => join("results", d)), "--out", "results/small"], { cwd }).status).toBe(0);
    expectSameAsSingle(join(cwd, "results", "small"));
  });

  it("Kubernetes Indexed Job (JOB_COMPLETION_INDEX with --shards)", () => {
    const dir = tmp();
    for (let i = 0; i < 3; i++) {
      expect(runQuiet([SMALL, "--shards", "3", "--out", join(dir, `pod${i}`), "--workers", "1"], { JOB_COMPLETION_INDEX: String(i) }).status).toBe(0);
    }
    expect(moesweep(["merge", join(dir, "pod0"), join(dir, "pod1"), join(dir, "pod2"), "--out", join(dir, "merged")]).status).toBe(0);
    expectSameAsSingle(join(dir, "merged"));
    const r = runQuiet([SMALL, "--out", join(dir, "x")], { JOB_COMPLETION_INDEX: "0" });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--shards/);
  });
});

describe("merge refuses bad shard sets, naming the shard, writing nothing", () => {
  let dir: string;
  beforeAll(() => {
    dir = tmp();
    for (let i = 0; i < 3; i++) expect(runQuiet([SMALL, "--shard", `${i}/3`, "--out", join(dir, `s${i}`)]).status).toBe(0);
  });
  const refuse = (dirs: string[], msg: RegExp) => {
    const out = join(tmp(), "merged");
    const r = moesweep(["merge", ...dirs, "--out", out]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(msg);
    expect(existsSync(join(out, "results.csv"))).toBe(false);
  };

  it("a missing shard", () => refuse([join(dir, "s0"), join(dir, "s2")], /missing shard 1 of 3/));
  it("a duplicated shard", () => refuse([join(dir, "s0"), join(dir, "s1"), join(dir, "s1"), join(dir, "s2")], /shard 1\/3 given twice/));
  it("a shard of another spec", () => {
    const other = tmp();
    const spec = join(other, "small.yaml");
    writeFileSync(spec, readFileSync(SMALL, "utf8").replace("input_seqlen: 1024", "input_seqlen: 512"));
    expect(runQuiet([spec, "--shard", "1/3", "--out", join(other, "s1")]).status).toBe(0);
    refuse([join(dir, "s0"), join(other, "s1"), join(dir, "s2")], /s1 \(shard 1\/3\): spec hash .* another spec/);
  });
  it("an incomplete shard", () => {
    const copy = tmp();
    cpSync(join(dir, "s1"), join(copy, "s1"), { recursive: true });
    const mPath = join(copy, "s1", "manifest.json");
    const m = JSON.parse(readFileSync(mPath, "utf8"));
    m.status = "interrupted";
    writeFileSync(mPath, JSON.stringify(m));
    refuse([join(dir, "s0"), join(copy, "s1"), join(dir, "s2")], /shard 1\/3\): incomplete/);
  });
  it("a truncated shard file", () => {
    const copy = tmp();
    cpSync(join(dir, "s2"), join(copy, "s2"), { recursive: true });
    const res = join(copy, "s2", "results.csv");
    writeFileSync(res, readFileSync(res, "utf8").slice(0, 100));
    refuse([join(dir, "s0"), join(dir, "s1"), join(copy, "s2")], /results.csv has 100 bytes/);
  });
  it("an unsharded run", () => refuse([single, join(dir, "s1")], /not a shard/));
});

describe("--shard parsing", () => {
  it("rejects malformed or out-of-range shards", () => {
    for (const [s, msg] of [["3", /expected i\/n/], ["3/3", /outside 0..2/], ["0/0", />= 1/]] as const) {
      const r = runQuiet([SMALL, "--shard", s, "--out", join(tmp(), "o")]);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(msg);
    }
  });
});
