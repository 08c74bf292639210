/**
 * `npm run bench`: throughput and memory, as ratios measured in one run.
 * Not a test: this machine is small and noisy; read the ratios, not the absolutes.
 *
 *   npm run bench -- [--points 200000] [--rss-points 10000000] [--workers 2]
 */
import { availableParallelism, tmpdir } from "node:os";
import { mkdtempSync, rmSync } from "node:fs";
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
function benchSpec(columns?: string[]): ResolvedSpec {
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
    ...(columns ? { columns } : {}),
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

  // Ideal: one thread, in-process, model + CSV formatting, no pool and no I/O. Cold, like a worker.
  let t0 = performance.now();
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

  if (rssPoints > 0) {
    const out = mkdtempSync(join(tmpdir(), "moesweep-bench-rss-"));
    try {
      const rssSpec = benchSpec(["receiver_skew", "moe_layer_time_ns", "phase_time_ns"]);
      t0 = performance.now();
      let peakSampled = 0;
      const sampler = setInterval(() => { peakSampled = Math.max(peakSampled, process.memoryUsage().rss); }, 200);
      await runSweep({ spec: rssSpec, outDir: out, workers, quiet: true, range: { start: 0, end: Math.min(rssPoints, plan.total) } });
      clearInterval(sampler);
      const secs = (performance.now() - t0) / 1000;
      const maxRssMB = process.resourceUsage().maxRSS / 1024;
      console.log(`${fmt(rssPoints)}-point sweep, ${workers} workers: ${fmt(rssPoints / secs)} points/s in ${secs.toFixed(0)} s; peak RSS ${maxRssMB.toFixed(0)} MB for the whole process incl. workers (goal < 200 MB; sampled ${(peakSampled / 2 ** 20).toFixed(0)} MB)`);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }
}

void main();
