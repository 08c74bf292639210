/**
 * End-to-end: nothing silently wrong. Each case once wrote wrong data with exit 0
 * or died with a stack trace; each must now be refused with exit 2 and one line,
 * or repaired so the final files equal an uninterrupted run byte for byte.
 */
import { describe, expect, it, beforeAll, afterAll } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, moesweep } from "./helpers/cli.js";
import { checkpointed, sizeOf, startRun, waitFor } from "./helpers/run-control.js";

const SMALL = join(ROOT, "test", "fixtures", "sweeps", "small.yaml");
const LONG = join(ROOT, "test", "fixtures", "sweeps", "long.yaml");
const tmp = () => mkdtempSync(join(tmpdir(), "moesweep-rel-"));
const read = (dir: string, f: string) => readFileSync(join(dir, f));
const manifest = (dir: string) => JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
const run = (args: string[], env: NodeJS.ProcessEnv = {}) => moesweep(["run", ...args, "--quiet"], { env });

/** One line on stderr, exit 2, naming what is given. */
function refused(r: { status: number | null; stderr: string }, ...names: (string | RegExp)[]): void {
  expect(r.status, r.stderr).toBe(2);
  const lines = r.stderr.trim().split("\n");
  expect(lines, r.stderr).toHaveLength(1);
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  for (const n of names) expect(r.stderr).toMatch(n);
}

/** Start LONG into `out`, SIGINT it once some points are durable; the folder then holds an interrupted run. */
async function interrupted(out: string, extra: string[] = []): Promise<string[]> {
  const args = [LONG, "--out", out, "--workers", "2", "--checkpoint-every", "0.2", ...extra];
  const running = startRun(args);
  await waitFor("a checkpoint", () => checkpointed(out, 2048), running);
  running.child.kill("SIGINT");
  expect((await running.exited).code).toBe(130);
  expect(manifest(out).status).toBe("interrupted");
  return args;
}

let baseline: string;
beforeAll(() => {
  baseline = tmp();
  expect(run([LONG, "--out", baseline, "--workers", "2"]).status).toBe(0);
});

describe("resume verifies what the checkpoint recorded", () => {
  it("results.csv shorter than the last checkpoint: refused, not padded with NULs", async () => {
    const out = tmp();
    const args = await interrupted(out);
    const half = Math.floor(sizeOf(join(out, "results.csv")) / 2);
    truncateSync(join(out, "results.csv"), half);
    const r = run(args);
    refused(r, /results\.csv has \d+ bytes, fewer than the \d+ the last checkpoint recorded/, /--restart/);
    expect(sizeOf(join(out, "results.csv"))).toBe(half);
    expect(read(out, "results.csv").includes(0)).toBe(false);
  });

  it("errors.csv shorter than the last checkpoint: refused", async () => {
    const out = tmp();
    const args = await interrupted(out);
    truncateSync(join(out, "errors.csv"), 5);
    refused(run(args), /errors\.csv has 5 bytes/);
  });

  it("a value changed before the checkpoint (same length): refused by the content hash", async () => {
    const out = tmp();
    const args = await interrupted(out);
    const text = readFileSync(join(out, "results.csv"), "utf8");
    const at = text.indexOf("\n", 2000) + 1; // first byte of some row well inside the checkpoint
    const row = text.slice(at, text.indexOf("\n", at));
    const digit = row.search(/[0-8]/);
    writeFileSync(join(out, "results.csv"), text.slice(0, at + digit) + String(Number(row[digit]) + 1) + text.slice(at + digit + 1));
    refused(run(args), /results\.csv differs from what the last checkpoint recorded/);
  });

  it("results.csv deleted before resume: refused with what to do", async () => {
    const out = tmp();
    const args = await interrupted(out);
    rmSync(join(out, "results.csv"));
    refused(run(args), /results\.csv is missing/, /--restart/);
    expect(existsSync(join(out, "results.csv"))).toBe(false);
  });

  it("a corrupt manifest.json: refused with the path, no stack trace", () => {
    const out = tmp();
    writeFileSync(join(out, "manifest.json"), '{"spec_hash": "ab", "checkp');
    refused(run([SMALL, "--out", out]), /manifest\.json is not valid JSON/, /--restart/);
    writeFileSync(join(out, "manifest.json"), '{"spec_hash": 3}');
    refused(run([SMALL, "--out", out]), /manifest\.json is not a moesweep manifest/);
    expect(run([SMALL, "--out", out, "--restart"]).status).toBe(0);
  });

  it("a complete folder whose results.csv lost its last line is not 'already complete'", () => {
    const out = tmp();
    expect(run([SMALL, "--out", out]).status).toBe(0);
    const text = readFileSync(join(out, "results.csv"), "utf8");
    writeFileSync(join(out, "results.csv"), text.slice(0, text.lastIndexOf("\n", text.length - 2) + 1));
    const r = run([SMALL, "--out", out]);
    refused(r, /results\.csv has \d+ bytes, fewer than the \d+ the completed run recorded/);
    expect(r.stdout).not.toMatch(/already complete/);
    const m = manifest(out);
    expect(m.files["results.csv"].sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(m.files["results.csv"].bytes).toBe(text.length);
    expect(run([SMALL, "--out", out, "--restart"]).status).toBe(0);
    expect(readFileSync(join(out, "results.csv"), "utf8")).toBe(text);
  });
});

describe("the output folder is locked for the whole run", () => {
  it("a second run on the same --out exits 2 naming the holder; after kill -9 the lock is taken over and the resume is identical", async () => {
    const out = tmp();
    const args = [LONG, "--out", out, "--workers", "1", "--checkpoint-every", "0.2"];
    const first = startRun(args);
    await waitFor("the lock and a first checkpoint", () => existsSync(join(out, ".moesweep.lock")) && checkpointed(out), first);
    const second = run(args);
    refused(second, new RegExp(`in use by moesweep run long \\(pid ${first.child.pid} on `));
    // The refused run wrote nothing: the first one's manifest still describes it and it finishes cleanly later.
    first.child.kill("SIGKILL");
    expect((await first.exited).signal).toBe("SIGKILL");
    expect(existsSync(join(out, ".moesweep.lock"))).toBe(true); // left behind by kill -9
    const resumed = run(args);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(existsSync(join(out, ".moesweep.lock"))).toBe(false);
    expect(read(out, "results.csv").equals(read(baseline, "results.csv"))).toBe(true);
  });

  it("a lock held from another host is refused with the file to delete", () => {
    const out = tmp();
    writeFileSync(join(out, ".moesweep.lock"), JSON.stringify({ pid: 1, host: "elsewhere", command: "moesweep run x", since: "2026-01-01T00:00:00Z" }));
    refused(run([SMALL, "--out", out]), /pid 1 on elsewhere/, /delete .*\.moesweep\.lock/);
  });
});

describe("merge and compare verify each file's size and sha256", () => {
  let shards: string[];
  beforeAll(() => {
    const root = tmp();
    shards = [0, 1].map((i) => {
      const o = join(root, `s${i}`);
      expect(run([SMALL, "--shard", `${i}/2`, "--out", o]).status).toBe(0);
      return o;
    });
  });

  it("a shard whose results.csv had one value changed (same length) is refused", () => {
    const s = join(tmp(), "s0");
    spawnSync("cp", ["-r", shards[0], s]);
    const text = readFileSync(join(s, "results.csv"), "utf8");
    const i = text.lastIndexOf(",") + 1;
    writeFileSync(join(s, "results.csv"), text.slice(0, i) + (text[i] === "1" ? "2" : "1") + text.slice(i + 1));
    const out = join(tmp(), "merged");
    refused(moesweep(["merge", s, shards[1], "--out", out]), /results\.csv differs from what its manifest recorded/);
    expect(existsSync(join(out, "results.csv"))).toBe(false);
  });

  it("a shard with a row deleted and its manifest's byte counts edited to match is refused", () => {
    const s = join(tmp(), "s1");
    spawnSync("cp", ["-r", shards[1], s]);
    const text = readFileSync(join(s, "results.csv"), "utf8");
    const cut = text.slice(0, text.lastIndexOf("\n", text.length - 2) + 1);
    writeFileSync(join(s, "results.csv"), cut);
    const m = manifest(s);
    m.checkpoint.results_bytes = cut.length;
    m.files["results.csv"].bytes = cut.length;
    m.points.evaluated -= 1;
    writeFileSync(join(s, "manifest.json"), JSON.stringify(m));
    refused(moesweep(["merge", shards[0], s, "--out", join(tmp(), "m")]), /results\.csv differs/);
  });

  it("the merged manifest records the merged files' digests; compare checks a run folder's", () => {
    const out = join(tmp(), "merged");
    expect(moesweep(["merge", ...shards, "--out", out]).status).toBe(0);
    const m = manifest(out);
    expect(m.files["results.csv"].bytes).toBe(sizeOf(join(out, "results.csv")));
    expect(moesweep(["compare", out, out]).status).toBe(0);
    const text = readFileSync(join(out, "results.csv"), "utf8");
    const i = text.indexOf("\n") + 1; // point_index of the first row: one digit changed, same length
    writeFileSync(join(out, "results.csv"), text.slice(0, i) + (text[i] === "1" ? "2" : "1") + text.slice(i + 1));
    refused(moesweep(["compare", out, shards[0]]), /differs from what its manifest recorded/);
  });

  it("merge --out naming a file: exit 2, the file untouched", () => {
    const f = join(tmp(), "a-file");
    writeFileSync(f, "keep me");
    refused(moesweep(["merge", ...shards, "--out", f]), /is a file, not a folder/);
    expect(readFileSync(f, "utf8")).toBe("keep me");
  });
});

describe("every numeric option is validated", () => {
  const cases: [string[], RegExp][] = [
    [["compare", "a", "b", "--tolerance", "abc"], /--tolerance = "abc": must be a number from 0 to 1/],
    [["compare", "a", "b", "--tolerance", "-1"], /--tolerance = -1/],
    [["compare", "a", "b", "--fail-above", "NaN"], /--fail-above = "NaN"/],
    [["compare", "a", "b", "--top", "-1"], /--top = -1: must be an integer from 0/],
    [["compare", "a", "b", "--top", "2.5"], /--top = 2.5/],
    [["run", SMALL, "--checkpoint-every", "0"], /--checkpoint-every = 0: must be a number > 0/],
    [["run", SMALL, "--checkpoint-every", "x"], /--checkpoint-every = "x"/],
    [["run", SMALL, "--workers", "0"], /--workers = 0: must be an integer from 1 to \d+/],
    [["run", SMALL, "--workers", "100000"], /--workers = 100000/],
    [["run", SMALL, "--chunk-size", "1.5"], /--chunk-size = 1.5/],
    [["run", SMALL, "--shards", "-2"], /--shards = -2/],
    [["run", SMALL, "--shard", "3/2"], /shard index 3 is outside 0\.\.1/],
    [["run", SMALL, "--shard", "a/b"], /--shard = "a\/b": expected i\/n/],
    [["plan", SMALL, "--show", "many"], /--show = "many"/],
  ];
  for (const [args, msg] of cases) {
    it(`${args.slice(2).join(" ")}: exit 2`, () => {
      const out = tmp();
      const r = moesweep(args[0] === "run" ? [...args, "--out", join(out, "o")] : args);
      refused(r, msg);
      expect(existsSync(join(out, "o"))).toBe(false);
    });
  }

  it("--shards without JOB_COMPLETION_INDEX is refused, not run as the whole grid", () => {
    const out = join(tmp(), "o");
    refused(run([SMALL, "--shards", "4", "--out", out], { JOB_COMPLETION_INDEX: undefined }), /--shards 4 needs JOB_COMPLETION_INDEX/);
    expect(existsSync(out)).toBe(false);
  });

  it("eval --model with no value names the option and the models", () => {
    refused(moesweep(["eval", "--model"]), /--model needs a value: one of deepseekv3-671b/);
  });
});

describe("sizes have realistic bounds; huge sweeps ask first", () => {
  it("eval --global_batch_size 1e15 and 1e308: exit 2 with the bound", () => {
    refused(moesweep(["eval", "--global_batch_size", "1e15"]), /global_batch_size = 1000000000000000: must be from 1 to 16777216/);
    refused(moesweep(["eval", "--global_batch_size", "1e308"]), /global_batch_size/);
    refused(moesweep(["eval", "--num_chips", String(2 ** 21)]), /num_chips = 2097152: must be from 1 to 1048576/);
    refused(moesweep(["eval", "--expert_parallelism_degree", "512", "--num_chips", "512"]), /expert_parallelism_degree = 512: must be <= num_routed_experts = 256/);
  });

  it("the largest allowed batch and prompt evaluate", () => {
    const r = moesweep(["eval", "--global_batch_size", String(2 ** 24), "--input_seqlen", String(2 ** 24), "--json"]);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).phase_time_ns).toBeGreaterThan(0);
  });

  it("a geometric range with times barely above 1 is refused before it is expanded", () => {
    const dir = tmp();
    const spec = join(dir, "geo.yaml");
    writeFileSync(spec, "name: geo\ngrid:\n  input_seqlen: { from: 1, to: 1000000, times: 1.0000000001 }\n");
    refused(moesweep(["plan", spec]), /grid\.input_seqlen: expands to \d+ values \(at most 10000000\)/);
  });

  it("a 300-character name is refused by the spec check", () => {
    const dir = tmp();
    const spec = join(dir, "long-name.yaml");
    writeFileSync(spec, `name: ${"n".repeat(300)}\n`);
    refused(run([spec, "--out", join(dir, "o")]), /name: .*at most 100 characters/);
  });

  it("an --out folder name too long for the file system: exit 2", () => {
    const dir = tmp();
    mkdirSync(join(dir, "x"));
    refused(run([SMALL, "--out", join(dir, "x", "n".repeat(300))]), /the name is too long for the file system \(ENAMETOOLONG\)/);
  });

  it("a 1e12-point run is refused without --yes, naming the count; a normal run announces its size", () => {
    const dir = tmp();
    const spec = join(dir, "huge.yaml");
    writeFileSync(spec, "name: huge\ngrid:\n  input_seqlen: { from: 1, to: 1000000, step: 1 }\n  global_batch_size: { from: 1, to: 1000000, step: 1 }\n");
    const out = join(dir, "o");
    refused(run([spec, "--out", out]), /huge: 1000000000000 points, about .* of results; more than 1e\+9 points .* needs --yes/);
    expect(existsSync(out)).toBe(false);
    const small = moesweep(["run", SMALL, "--out", join(dir, "s")]);
    expect(small.status).toBe(0);
    expect(small.stderr).toMatch(/^small: 96 points, about [\d.]+ kB of results, \d+ workers? -> /m);
  });

  it("a 1M-value axis keeps the manifest small (ranges stay ranges)", () => {
    const dir = tmp();
    const spec = join(dir, "wide.yaml");
    writeFileSync(spec, "name: wide\ngrid:\n  input_seqlen: { from: 1, to: 1000000, step: 1 }\n");
    const out = join(dir, "o");
    expect(run([spec, "--out", out, "--shard", "0/100000"]).status).toBe(0);
    expect(sizeOf(join(out, "manifest.json"))).toBeLessThan(10_000);
    expect(manifest(out).spec.axes[0]).toEqual({ fields: ["input_seqlen"], range: { from: 1, to: 1000000, step: 1 }, count: 1000000 });
  });
});

/** tmpfs mounts (root only): a full disk and a read-only file system, for real. */
const canMount = (() => {
  if (process.platform !== "linux" || process.getuid?.() !== 0) return false;
  const d = mkdtempSync(join(tmpdir(), "moesweep-mnt-"));
  const ok = spawnSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", d]).status === 0;
  if (ok) spawnSync("umount", [d]);
  return ok;
})();

describe.skipIf(!canMount)("file-system failures (tmpfs mounts)", () => {
  const mounts: string[] = [];
  const mount = (opts: string) => {
    const d = mkdtempSync(join(tmpdir(), "moesweep-mnt-"));
    expect(spawnSync("mount", ["-t", "tmpfs", "-o", opts, "tmpfs", d]).status).toBe(0);
    mounts.push(d);
    return d;
  };
  afterAll(() => {
    for (const d of mounts) spawnSync("umount", [d]);
  });

  it("a full disk: exit 2, one line naming the file; after freeing space the rerun resumes to identical bytes", () => {
    const disk = mount("size=3m");
    const out = join(disk, "o");
    const args = [LONG, "--out", out, "--workers", "2", "--checkpoint-every", "0.05"];
    const r = run(args);
    refused(r, new RegExp(`cannot write ${out}/results\\.csv: the disk is full \\(ENOSPC\\)`), /run the same command again to resume/);
    expect(manifest(out).status).toBe("interrupted");
    expect(spawnSync("mount", ["-o", "remount,size=64m", disk]).status).toBe(0);
    const again = run(args);
    expect(again.status, again.stderr).toBe(0);
    expect(read(out, "results.csv").equals(read(baseline, "results.csv"))).toBe(true);
  });

  it("--out on a read-only file system: exit 2 naming the path", () => {
    const ro = mount("size=1m,ro");
    refused(run([SMALL, "--out", join(ro, "o")]), new RegExp(`cannot create ${ro}/o: the file system is read-only \\(EROFS\\)`));
  });
});
