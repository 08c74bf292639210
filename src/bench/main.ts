/**
 * `npm run bench`: throughput and memory, as ratios measured in one run.
 * Not a test: this machine is small and noisy; read the ratios, not the absolutes.
 *
 *   npm run bench -- [--points 200000] [--rss-points 10000000] [--workers N]
 * (--points 0 or --rss-points 0 skips that part)
 */
import { availableParallelism, tmpdir } from "node:os";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { evaluateRange } from "../engine/rows.js";
import { runSweep } from "../engine/run.js";
import { SweepPlan } from "../plan/plan.js";
import { resolveSpec, type ResolvedSpec } from "../spec/load.js";

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/** A 14.7-million-point grid over the axes architects sweep. */
function benchSpec(): ResolvedSpec {
  return resolveSpec({
    name: "bench",
    base: { model: "deepseekv3-671b", num_chips: 8, tensor_parallelism_degree: 8 },
    grid: {
      chip: ["tpuv4", "tpuv5p", "tpuv6e", "tpuv6p"],
      phase: ["prefill", "decode"],
      expert_parallelism_degree: [1, 2, 4, 8],
      num_worst_case_experts: { from: 1, to: 8, step: 1 },
      expert_load_imbalance_factor: [1, 2, 4, 8, 16, 32, -1],
      global_batch_size: { from: 1, to: 128, step: 1 },
      input_seqlen: { from: 128, to: 8192, step: 128 },
    },
  });
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

async function poolRate(spec: ResolvedSpec, points: number, workers: number): Promise<number> {
  const out = mkdtempSync(join(tmpdir(), "moesweep-bench-"));
  try {
    const t0 = performance.now();
    await runSweep({ spec, outDir: out, workers, quiet: true, range: { start: 0, end: points } });
    return points / ((performance.now() - t0) / 1000);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const points = arg("points", 200_000);
  const rssPoints = arg("rss-points", 10_000_000);
  const workers = arg("workers", availableParallelism());
  const spec = benchSpec();
  const plan = new SweepPlan(spec);
  console.log(`moesweep bench: node ${process.version}, ${availableParallelism()} cores, ${fmt(points)} points per throughput run`);
  if (points > 0) await throughput(spec, plan, points, workers);
  if (rssPoints > 0) await peakRss(rssPoints, workers);
}

/** Ideal single-thread rate, then the pool with 1 and N workers, as ratios to it. */
async function throughput(spec: ResolvedSpec, plan: SweepPlan, points: number, workers: number): Promise<void> {

  // Ideal: one thread, in-process, model + CSV formatting, no pool and no I/O. Cold, like a worker.
  const t0 = performance.now();
  let bytes = 0;
  for (let s = 0; s < points; s += 2048) bytes += evaluateRange(plan, s, Math.min(points, s + 2048)).resultsCsv.length;
  const ideal = points / ((performance.now() - t0) / 1000);
  console.log(`in-process, 1 thread (ideal per core): ${fmt(ideal)} points/s (${(1e6 / ideal).toFixed(1)} us/point, ${(bytes / points).toFixed(0)} CSV bytes/point)`);

  const one = await poolRate(spec, points, 1);
  console.log(`pool, 1 worker:  ${fmt(one)} points/s = ${(one / ideal).toFixed(2)}x ideal`);
  if (workers >= 2) {
    const many = await poolRate(spec, points, workers);
    console.log(`pool, ${workers} workers: ${fmt(many)} points/s = ${(many / ideal).toFixed(2)}x ideal (goal for 2 workers: >= 1.7x), ${(many / one).toFixed(2)}x one worker`);
  }

}

/**
 * Peak RSS of a real `moesweep run` process (main thread + workers) over a sweep of
 * about `points` points (2 x 4 x 8 x 5 x 125 x n: 10,000,000 at the default), read
 * from the kernel's high-water mark (/proc/<pid>/status VmHWM) while it runs.
 */
async function peakRss(points: number, workers: number): Promise<void> {
  const seqlens = Math.max(1, Math.round(points / 40_000));
  const total = 40_000 * seqlens;
  const dir = mkdtempSync(join(tmpdir(), "moesweep-bench-rss-"));
  const specPath = join(dir, "rss.json");
  writeFileSync(specPath, JSON.stringify({
    name: "bench-rss",
    base: { model: "deepseekv3-671b", chip: "tpuv5p", num_chips: 8, tensor_parallelism_degree: 8 },
    grid: {
      phase: ["prefill", "decode"], expert_parallelism_degree: [1, 2, 4, 8], num_worst_case_experts: { from: 1, to: 8, step: 1 },
      expert_load_imbalance_factor: [1, 2, 4, 8, -1], global_batch_size: { from: 1, to: 125, step: 1 },
      input_seqlen: { from: 128, to: 128 * seqlens, step: 128 },
    },
    columns: ["receiver_skew", "moe_layer_time_ns", "phase_time_ns"],
  }));
  const cli = fileURLToPath(new URL("../cli/main.js", import.meta.url));
  const t0 = performance.now();
  const child = spawn(process.execPath, [cli, "run", specPath, "--out", join(dir, "out"), "--workers", String(workers), "--quiet"], { stdio: ["ignore", "ignore", "inherit"] });
  let peakKB = 0;
  const poll = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"));
      if (m) peakKB = Math.max(peakKB, Number(m[1]));
    } catch { /* exited */ }
  }, 250);
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  clearInterval(poll);
  const secs = (performance.now() - t0) / 1000;
  rmSync(dir, { recursive: true, force: true });
  if (code !== 0) throw new Error(`the RSS sweep exited ${code}`);
  console.log(`${fmt(total)}-point sweep (moesweep run, ${workers} workers): ${fmt(total / secs)} points/s in ${secs.toFixed(0)} s; peak RSS ${(peakKB / 1024).toFixed(0)} MB, main thread and workers (goal < 200 MB)`);
}

void main();
