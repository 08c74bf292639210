/**
 * Run a sweep: index ranges go to a Piscina pool (a bounded number in flight,
 * via p-limit), results come back as CSV text per chunk, and the main thread
 * appends them in index order. Output is byte-identical for any worker count,
 * chunk size, shard split or number of restarts. The engine knows nothing
 * about MoE: it moves index ranges and text.
 */
import { closeSync, existsSync, fsyncSync, ftruncateSync, mkdirSync, openSync, rmSync, writeSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pLimit from "p-limit";
import { InputError } from "../errors.js";
import { Piscina } from "piscina";
import { shardRange, SweepPlan, type IndexRange } from "../plan/plan.js";
import { specHash, type ResolvedSpec } from "../spec/resolved.js";
import { ERRORS, MANIFEST, RESULTS, readManifest, writeManifest, type Checkpoint, type Manifest, type RunStatus } from "./manifest.js";
import { createProgress, formatDuration } from "./progress.js";
import { addCounts, csvText, ERROR_COLUMNS, failedChunk, zeroCounts, type ChunkResult } from "./rows.js";
import { gitCommit, MOESWEEP_VERSION } from "./version.js";

/** A run that cannot start as asked (spec changed, foreign files in the way): exit 2. */
export class RunRefused extends InputError {}

export interface RunOptions {
  spec: ResolvedSpec;
  outDir: string;
  workers?: number;
  /** Points per task. */
  chunkSize?: number;
  restart?: boolean;
  quiet?: boolean;
  shard?: { index: number; count: number } | null;
  /** Only these grid indices (benchmarks); default: the shard, or the whole grid. */
  range?: IndexRange;
  /** Seconds between durable checkpoints. */
  checkpointEverySeconds?: number;
}

export interface RunSummary {
  status: RunStatus;
  outDir: string;
  manifest: Manifest;
  exitCode: number;
  message: string;
}

const WORKER_FILE = fileURLToPath(new URL("../../workers/evaluate.js", import.meta.url));
export const DEFAULT_CHUNK_SIZE = 2048;
/**
 * Worker heap limits. An 8 MB young generation keeps a 2-worker run under 200 MB RSS;
 * 32-64 MB is 10-30% faster on cold-shape sweeps at about +50 MB RSS per worker (npm run bench).
 */
const YOUNG_GENERATION_MB = 8;
const OLD_GENERATION_MB = 96;

export async function runSweep(opts: RunOptions): Promise<RunSummary> {
  const plan = new SweepPlan(opts.spec);
  const hash = specHash(opts.spec);
  const workers = Math.max(1, opts.workers ?? availableParallelism());
  const chunkSize = Math.max(1, opts.chunkSize ?? DEFAULT_CHUNK_SIZE);
  const shard = opts.shard ?? null;
  const range: IndexRange = opts.range ?? (shard ? shardRange(plan.total, shard.index, shard.count) : { start: 0, end: plan.total });
  const dir = opts.outDir;

  const resumed = prepareOutput(dir, hash, range, shard, opts.restart ?? false);
  if (resumed?.status === "complete") {
    return summarize(resumed, dir, "already complete; nothing to do (use --restart to run it again)");
  }
  mkdirSync(dir, { recursive: true });
  const resultsFd = openSync(join(dir, RESULTS), resumed ? "r+" : "w");
  const errorsFd = openSync(join(dir, ERRORS), resumed ? "r+" : "w");

  let cp: Checkpoint;
  if (resumed) {
    cp = structuredClone(resumed.checkpoint);
    // Anything past the checkpoint (a torn line, chunks written after it) is dropped and redone.
    ftruncateSync(resultsFd, cp.results_bytes);
    ftruncateSync(errorsFd, cp.errors_bytes);
  } else {
    const header = csvText([plan.columns]);
    const errHeader = csvText([[...ERROR_COLUMNS]]);
    cp = {
      next_index: range.start,
      results_bytes: writeSync(resultsFd, header, 0),
      errors_bytes: writeSync(errorsFd, errHeader, 0),
      counts: zeroCounts(),
    };
  }

  const commit = gitCommit();
  const startedAt = resumed?.started_at ?? new Date().toISOString();
  const elapsedBefore = resumed?.elapsed_s ?? 0;
  const t0 = Date.now();
  const manifestAt = (status: RunStatus): Manifest => {
    const elapsed = elapsedBefore + (Date.now() - t0) / 1000;
    const done = cp.next_index - range.start;
    return {
      moesweep_version: MOESWEEP_VERSION, spec_hash: hash, spec: opts.spec, git_commit: commit,
      node_version: process.version, workers, chunk_size: chunkSize, range, shard, grid_points: plan.total,
      status, points: { total: range.end - range.start, done, ...cp.counts }, checkpoint: cp,
      started_at: startedAt, updated_at: new Date().toISOString(), ended_at: status === "running" ? null : new Date().toISOString(),
      elapsed_s: Number(elapsed.toFixed(3)), points_per_s: Math.round(done / Math.max(elapsed, 1e-9)),
    };
  };
  let resultsBytes = cp.results_bytes;
  let errorsBytes = cp.errors_bytes;
  let written: Checkpoint = structuredClone(cp);
  const checkpoint = (status: RunStatus) => {
    fsyncSync(resultsFd);
    fsyncSync(errorsFd);
    cp = structuredClone(written);
    writeManifest(dir, manifestAt(status));
  };
  checkpoint("running");

  const progress = createProgress({
    label: opts.spec.name, total: range.end - range.start, initial: cp.next_index - range.start,
    quiet: opts.quiet ?? false, tty: Boolean(process.stderr.isTTY),
  });
  const everyMs = (opts.checkpointEverySeconds ?? 2) * 1000;
  let lastCheckpoint = Date.now();

  const pending = new Map<number, ChunkResult>();
  let nextToWrite = cp.next_index;
  const flush = () => {
    let res: ChunkResult | undefined;
    while ((res = pending.get(nextToWrite)) !== undefined) {
      pending.delete(nextToWrite);
      if (res.resultsCsv) resultsBytes += writeSync(resultsFd, res.resultsCsv, resultsBytes);
      if (res.errorsCsv) errorsBytes += writeSync(errorsFd, res.errorsCsv, errorsBytes);
      written = { next_index: res.end, results_bytes: resultsBytes, errors_bytes: errorsBytes, counts: addCounts(written.counts, res.counts) };
      nextToWrite = res.end;
      progress.update(nextToWrite - range.start);
    }
    if (Date.now() - lastCheckpoint >= everyMs) {
      checkpoint("running");
      lastCheckpoint = Date.now();
    }
  };

  let stopping = false;
  let signalName = "";
  const onSignal = (sig: NodeJS.Signals) => {
    if (stopping) {
      // Second signal: leave now; the last checkpoint still resumes cleanly.
      process.exit(130);
    }
    stopping = true;
    signalName = sig;
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const pool = new Piscina({
    filename: WORKER_FILE, workerData: { spec: opts.spec }, minThreads: workers, maxThreads: workers, idleTimeout: 60_000,
    resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB, maxOldGenerationSizeMb: OLD_GENERATION_MB },
  });
  const limit = pLimit(workers * 2);
  const windowPoints = chunkSize * workers * 4;
  const runChunk = async (start: number, end: number): Promise<ChunkResult> => {
    try {
      return (await pool.run({ start, end })) as ChunkResult;
    } catch {
      try {
        return (await pool.run({ start, end })) as ChunkResult; // one retry: a crash may be transient
      } catch (err) {
        return failedChunk(plan, start, end, `worker crashed twice on points ${start}..${end - 1}: ${(err as Error).message}`);
      }
    }
  };

  try {
    const inflight = new Set<Promise<void>>();
    let dispatched = nextToWrite;
    while (dispatched < range.end && !stopping) {
      if (dispatched - nextToWrite >= windowPoints) {
        await Promise.race(inflight);
        continue;
      }
      const start = dispatched;
      const end = Math.min(range.end, start + chunkSize);
      dispatched = end;
      const p: Promise<void> = limit(() => runChunk(start, end)).then((res) => {
        pending.set(start, res);
        flush();
      }).finally(() => inflight.delete(p));
      inflight.add(p);
      if (inflight.size >= workers * 2) await Promise.race(inflight);
    }
    await Promise.all(inflight);
  } finally {
    await pool.destroy();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    progress.stop();
  }

  const status: RunStatus = nextToWrite >= range.end ? "complete" : "interrupted";
  checkpoint(status);
  closeSync(resultsFd);
  closeSync(errorsFd);
  const m = readManifest(dir)!;
  const note = status === "interrupted" ? `interrupted by ${signalName || "a stop"}; run the same command again to resume` : "";
  return summarize(m, dir, note);
}

/**
 * Decide between a fresh run and a resume. Returns the manifest to resume from,
 * or null for a fresh start (after clearing the folder's run files on --restart).
 */
function prepareOutput(dir: string, hash: string, range: IndexRange, shard: RunOptions["shard"], restart: boolean): Manifest | null {
  const files = [MANIFEST, RESULTS, ERRORS].map((f) => join(dir, f));
  if (restart) {
    for (const f of files) rmSync(f, { force: true });
    return null;
  }
  const m = readManifest(dir);
  if (!m) {
    if (files.slice(1).some((f) => existsSync(f))) {
      throw new RunRefused(`${dir} holds results.csv or errors.csv but no manifest.json; pass --restart to overwrite them, or choose another --out`);
    }
    return null;
  }
  if (m.spec_hash !== hash) {
    throw new RunRefused(`${dir} holds a run of a different spec (hash ${m.spec_hash}, now ${hash}); pass --restart to discard it, or choose another --out`);
  }
  if (m.range.start !== range.start || m.range.end !== range.end || (m.shard?.index ?? -1) !== (shard?.index ?? -1)) {
    throw new RunRefused(`${dir} holds points ${m.range.start}..${m.range.end - 1}${m.shard ? ` (shard ${m.shard.index}/${m.shard.count})` : ""}, not ${range.start}..${range.end - 1}; pass --restart or choose another --out`);
  }
  return m;
}

function summarize(m: Manifest, dir: string, note: string): RunSummary {
  const p = m.points;
  const exitCode = m.status === "interrupted" ? 130 : p.failed > 0 ? 1 : 0;
  const line = `${m.spec.name}: ${m.status}, ${p.done}/${p.total} points (${p.evaluated} results, ${p.filtered} filtered, ${p.invalid} invalid, ${p.failed} failed) in ${formatDuration(m.elapsed_s)}, ${m.points_per_s} points/s -> ${dir}`;
  return { status: m.status, outDir: dir, manifest: m, exitCode, message: note ? `${line}\n${note}` : line };
}
