/**
 * Run a sweep: index ranges go to a Piscina pool (a bounded number in flight,
 * via p-limit), results come back as CSV text per chunk, and the main thread
 * appends them in index order. Output is byte-identical for any worker count,
 * chunk size, shard split or number of restarts. The engine knows nothing
 * about MoE: it moves index ranges and text.
 */
import { closeSync, existsSync, ftruncateSync, mkdirSync, openSync, rmSync, statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { performance as nodePerformance } from "node:perf_hooks";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pLimit from "p-limit";
import { InputError } from "../errors.js";
import { shardRange, SweepPlan, type IndexRange } from "../plan/plan.js";
import { compactSpec, specHash, type ResolvedSpec } from "../sweep-spec/resolved.js";
import { describeMismatch, digestPrefixHash, DigestedFile, emptyHash, fileSize, isMismatch, verifyPrefix } from "./integrity.js";
import { RunIoError } from "./io-error.js";
import { lockFolder } from "./lock.js";
import { sweepPool, type SweepPool } from "./worker-pool.js";
import { ERRORS, MANIFEST, writeFileAtomic, outputDigests, RESULTS, readManifest, writeManifest, type Checkpoint, type Manifest, type RunStatus } from "./manifest.js";
import { createProgress, formatDuration } from "./progress.js";
import { addCounts, ERROR_COLUMNS, evaluateRange, failedChunk, unpackChunk, zeroCounts, type ChunkCounts, type ChunkResult } from "./rows.js";
import { csvText } from "./row-format.js";
import { gitCommit, gitDirty, MOESWEEP_VERSION } from "./version.js";

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
  /** Run even above MAX_POINTS_UNASKED points or MAX_BYTES_UNASKED bytes. */
  yes?: boolean;
  /** Recorded in the manifest as is: how the run was asked for (command line, catalog hash). */
  provenance?: Record<string, unknown>;
  /** Files written (atomically) into the output folder once it is locked, e.g. a data dictionary. */
  extraFiles?: Record<string, string>;
}

export interface RunSummary {
  status: RunStatus;
  outDir: string;
  manifest: Manifest;
  exitCode: number;
  message: string;
  /**
   * How busy the threads were (for the bench): main thread event-loop utilisation, workers' share
   * of time running tasks; and the rate over the second half of the points written (past start-up
   * and JIT warm-up: what a long sweep runs at).
   */
  stats?: { main_thread_busy_s: number; elapsed_s: number; worker_utilization: number; second_half_points_per_s: number };
}

const WORKER_FILE = fileURLToPath(new URL("../../workers/evaluate.js", import.meta.url));

/** Test hook: a periodic checkpoint's fsyncs take this many ms longer, as 2 s of results would on a slow disk. */
const SLOW_PERIODIC_FSYNC_MS = Number(process.env.MOESWEEP_TEST_SLOW_FSYNC_MS ?? 0);
export const DEFAULT_CHUNK_SIZE = 2048;
/**
 * Worker heap limits. The young generation trades speed for memory: on a typical
 * 1.2M-point sweep with 2 workers, 8 / 16 / 32 / 64 MB gave 31k / 41k / 46k / 55k
 * points/s at 252 / 262 / 332 / 440 MB peak RSS (2026-11-29). Now that a point makes
 * little garbage (about 9 kB), the size matters little: against 8 MB, 3 MB (1 MB
 * semi-spaces) ran the bench's typical sweep at a median 110k vs 112k points/s and the
 * worst case at 63k vs 68k (alternating runs, within this machine's noise; 5 MB: 61k vs
 * 3 MB's 60k), and cut the peak RSS of the 1M-point RSS sweep by about 20 MB.
 */
const YOUNG_GENERATION_MB = 3;
const OLD_GENERATION_MB = 96;

export async function runSweep(opts: RunOptions): Promise<RunSummary> {
  const plan = new SweepPlan(opts.spec);
  const hash = specHash(opts.spec);
  const workers = Math.max(1, opts.workers ?? availableParallelism());
  const chunkSize = Math.max(1, opts.chunkSize ?? DEFAULT_CHUNK_SIZE);
  const shard = opts.shard ?? null;
  const range: IndexRange = opts.range ?? (shard ? shardRange(plan.total, shard.index, shard.count) : { start: 0, end: plan.total });
  const dir = opts.outDir;

  const size = estimateOutput(plan, range);
  if (!opts.yes && (size.points > MAX_POINTS_UNASKED || size.bytes > MAX_BYTES_UNASKED)) {
    throw new RunRefused(`${opts.spec.name}: ${size.points} points, about ${formatBytes(size.bytes)} of results; more than ${MAX_POINTS_UNASKED.toExponential()} points or ${formatBytes(MAX_BYTES_UNASKED)} needs --yes (or shard it: --shard i/n)`);
  }
  makeOutDir(dir);
  const release = lockFolder(dir, `moesweep run ${opts.spec.name}`);
  try {
    const resumed = prepareOutput(dir, hash, range, shard, opts.restart ?? false);
    for (const [name, text] of Object.entries(opts.extraFiles ?? {})) writeFileAtomic(join(dir, name), text);
    if (resumed?.status === "complete") {
      verifyComplete(dir, resumed);
      return summarize(resumed, dir, "already complete; nothing to do (use --restart to run it again)");
    }
    if (!opts.quiet) {
      const left = range.end - (resumed?.checkpoint.next_index ?? range.start);
      process.stderr.write(`${opts.spec.name}: ${resumed ? `resuming, ${left} of ` : ""}${size.points} points, about ${formatBytes(size.bytes)} of results, ${workers} worker${workers > 1 ? "s" : ""} -> ${dir}\n`);
    }
    return await execute(opts, plan, hash, range, resumed, workers, chunkSize);
  } finally {
    release();
  }
}

/** Points above which a run asks for --yes, and estimated output bytes likewise. */
export const MAX_POINTS_UNASKED = 1e9;
export const MAX_BYTES_UNASKED = 200e9;
const SIZE_SAMPLE_POINTS = 32;

/** Points in the range and the results.csv size they make, from the rows of a few sampled points. */
function estimateOutput(plan: SweepPlan, range: IndexRange): { points: number; bytes: number } {
  const points = range.end - range.start;
  if (points === 0) return { points, bytes: 0 };
  const sample = Math.min(points, SIZE_SAMPLE_POINTS);
  let bytes = 0;
  for (let s = 0; s < sample; s++) {
    const i = range.start + Math.floor((s * points) / sample);
    bytes += evaluateRange(plan, i, i + 1).resultsBytes.byteLength;
  }
  return { points, bytes: Math.round((bytes / sample) * points) };
}

export function formatBytes(n: number): string {
  const units = ["B", "kB", "MB", "GB", "TB", "PB"];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) { n /= 1000; i++; }
  return `${i === 0 ? n : n.toPrecision(3)} ${units[i]}`;
}

function makeOutDir(dir: string): void {
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new RunRefused(`--out ${dir} is a file, not a folder; choose a folder`);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    // A recursive mkdir reports ENOENT for a read-only parent; a plain one names the real cause.
    mkdirSync(dir);
    throw err;
  }
}

/** A complete run's files must still be exactly what it wrote. */
function verifyComplete(dir: string, m: Manifest): void {
  for (const [file, expected] of outputDigests(m)) {
    if (!expected) continue;
    const path = join(dir, file);
    const r = verifyPrefix(path, expected, true, fileSize(path));
    if (isMismatch(r)) throw new RunRefused(`${describeMismatch(path, expected, r, "the completed run")}; pass --restart to run it again`);
  }
}

/**
 * Open an output file to resume: it must hold at least the checkpoint's bytes
 * with the checkpoint's digest; anything past them (a torn line, chunks written
 * after the checkpoint) is cut off and redone.
 */
function reopenAt(dir: string, file: string, bytes: number, sha256: string | undefined): DigestedFile {
  const path = join(dir, file);
  const size = fileSize(path);
  const expected = { bytes, sha256: sha256 ?? "" };
  let hash;
  if (sha256) {
    const r = verifyPrefix(path, expected, false, size);
    if (isMismatch(r)) throw new RunRefused(`${describeMismatch(path, expected, r, "the last checkpoint")}; it cannot be resumed: pass --restart to start over`);
    hash = r.hash;
  } else {
    // A manifest from before digests were kept: sizes only.
    if (size === null || size < bytes) throw new RunRefused(`${describeMismatch(path, expected, size === null ? { kind: "missing" } : { kind: "shorter", bytes: size }, "the last checkpoint")}; pass --restart to start over`);
    hash = digestPrefixHash(path, bytes);
  }
  const fd = openSync(path, "r+");
  ftruncateSync(fd, bytes);
  return new DigestedFile(path, fd, bytes, hash);
}

async function execute(
  opts: RunOptions, plan: SweepPlan, hash: string, range: IndexRange, resumed: Manifest | null, workers: number, chunkSize: number,
): Promise<RunSummary> {
  const dir = opts.outDir;
  const shard = opts.shard ?? null;
  let results: DigestedFile, errors: DigestedFile;
  let counts = zeroCounts();
  let nextIndex = range.start;
  if (resumed) {
    const c = resumed.checkpoint;
    results = reopenAt(dir, RESULTS, c.results_bytes, c.results_sha256);
    errors = reopenAt(dir, ERRORS, c.errors_bytes, c.errors_sha256);
    counts = { ...c.counts };
    nextIndex = c.next_index;
  } else {
    const open = (file: string) => new DigestedFile(join(dir, file), openSync(join(dir, file), "w"), 0, emptyHash());
    results = open(RESULTS);
    errors = open(ERRORS);
    results.append(csvText([plan.columns]));
    errors.append(csvText([[...ERROR_COLUMNS]]));
  }
  /** The state after the last fully appended chunk. */
  const snapshot = (): Checkpoint => {
    const r = results.digest(), e = errors.digest();
    return { next_index: nextIndex, results_bytes: r.bytes, errors_bytes: e.bytes, results_sha256: r.sha256, errors_sha256: e.sha256, counts };
  };
  let written = snapshot();
  let cp = written;

  const commit = gitCommit();
  const dirty = gitDirty();
  const startedAt = resumed?.started_at ?? new Date().toISOString();
  const elapsedBefore = resumed?.elapsed_s ?? 0;
  const t0 = Date.now();
  const compact = compactSpec(opts.spec);
  const manifestAt = (status: RunStatus): Manifest => {
    const elapsed = elapsedBefore + (Date.now() - t0) / 1000;
    const done = cp.next_index - range.start;
    return {
      moesweep_version: MOESWEEP_VERSION, spec_hash: hash, spec: compact, git_commit: commit, git_dirty: dirty, provenance: opts.provenance ?? {},
      node_version: process.version, workers, chunk_size: chunkSize, range, shard, grid_points: plan.total,
      status, points: { total: range.end - range.start, done, ...cp.counts }, checkpoint: cp,
      started_at: startedAt, updated_at: new Date().toISOString(), ended_at: status === "running" ? null : new Date().toISOString(),
      elapsed_s: Number(elapsed.toFixed(3)), points_per_s: Math.round(done / Math.max(elapsed, 1e-9)),
      ...(status === "complete" ? { files: { [RESULTS]: { bytes: cp.results_bytes, sha256: cp.results_sha256 }, [ERRORS]: { bytes: cp.errors_bytes, sha256: cp.errors_sha256 } } } : {}),
    };
  };
  /** Make the files durable up to the last whole chunk written before the call, then record that state. */
  const checkpoint = async (status: RunStatus, testDelayMs = 0) => {
    const state = written;
    await Promise.all([results.sync(), errors.sync()]);
    if (testDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, testDelayMs));
    cp = state;
    writeManifest(dir, manifestAt(status));
  };
  await checkpoint("running");

  const progress = createProgress({
    label: opts.spec.name, total: range.end - range.start, initial: cp.next_index - range.start,
    quiet: opts.quiet ?? false, tty: Boolean(process.stderr.isTTY),
  });
  const everyMs = (opts.checkpointEverySeconds ?? 2) * 1000;
  let lastCheckpoint = Date.now();

  let stopping = false;
  let signalName = "";
  /** The first write or fsync error (disk full, read-only, ...): the run stops at the last good chunk. */
  let ioError: NodeJS.ErrnoException | null = null;
  /**
   * The periodic checkpoint, not awaited: its fsyncs (on libuv's pool) can take tens of ms for the
   * 2 s of results before it (35-63 ms measured), longer than the workers' queued tasks, and the
   * main thread must keep taking their chunks meanwhile. Its manifest records the state as of its
   * start (later chunks are not yet durable); one at a time, and every final checkpoint waits for
   * it, so an older manifest never replaces a newer one.
   */
  let backgroundCheckpoint: Promise<void> | null = null;
  /** Start one; false while the last is still under way (the next chunk's flush tries again). */
  const checkpointInBackground = (): boolean => {
    if (backgroundCheckpoint) return false;
    backgroundCheckpoint = checkpoint("running", SLOW_PERIODIC_FSYNC_MS)
      .catch((err) => {
        ioError ??= err as NodeJS.ErrnoException;
        stopping = true;
      })
      .finally(() => {
        backgroundCheckpoint = null;
      });
    return true;
  };
  const pending = new Map<number, ChunkResult>();
  /** When the first half of the points still to run had been written. */
  const halfIndex = nextIndex + (range.end - nextIndex) / 2;
  let half: { index: number; ms: number } | undefined;
  const flush = () => {
    if (ioError) return;
    try {
      let res: ChunkResult | undefined;
      while ((res = pending.get(nextIndex)) !== undefined) {
        pending.delete(nextIndex);
        results.appendBytes(res.resultsBytes);
        recycle(res.resultsBytes);
        errors.append(res.errorsCsv);
        counts = addCounts(counts, res.counts);
        nextIndex = res.end;
        if (!half && nextIndex >= halfIndex) half = { index: nextIndex, ms: performance.now() };
        written = snapshot();
        progress.update(nextIndex - range.start, counts);
      }
      if (Date.now() - lastCheckpoint >= everyMs && checkpointInBackground()) lastCheckpoint = Date.now();
    } catch (err) {
      ioError = err as NodeJS.ErrnoException;
      stopping = true;
    }
  };

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

  const poolOf = (threads: number, tasksPerThread: number) => sweepPool({
    filename: WORKER_FILE, workerData: { spec: opts.spec }, minThreads: threads, maxThreads: threads, idleTimeout: 60_000,
    concurrentTasksPerWorker: tasksPerThread,
    resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB, maxOldGenerationSizeMb: OLD_GENERATION_MB },
  });
  // Each worker holds its next task while it runs one, so it never waits for the main thread to
  // hand it out (2 workers on the bench's typical sweep, alternating runs: 145-152k -> 163-169k
  // points/s against one task at a time).
  const TASKS_PER_WORKER = 2;
  const pool = poolOf(workers, TASKS_PER_WORKER);
  // A crash takes every task on its worker down, the innocent neighbour's too: a failed chunk is
  // retried alone, one at a time, on a worker of its own, so only a chunk that crashes it twice fails.
  let retryPool: SweepPool | undefined;
  const retryAlone = pLimit(1);
  const limit = pLimit(workers * TASKS_PER_WORKER);
  const windowPoints = chunkSize * workers * 4;
  // Chunk buffers go back to the workers once written: a few are reused for the whole run
  // instead of one per chunk waiting for the main thread's garbage collector.
  const spareBuffers: ArrayBuffer[] = [];
  const recycle = (bytes: Uint8Array) => {
    if (bytes.byteLength > 0 && spareBuffers.length < workers * 4) spareBuffers.push(bytes.buffer as ArrayBuffer);
  };
  const runChunk = async (start: number, end: number): Promise<ChunkResult> => {
    try {
      const buffer = spareBuffers.pop();
      return unpackChunk((await pool.pool.run({ start, end, buffer }, buffer ? { transferList: [buffer] } : {})) as Uint8Array);
    } catch {
      return retryAlone(async () => {
        try {
          retryPool ??= poolOf(1, 1);
          return unpackChunk((await retryPool.pool.run({ start, end })) as Uint8Array); // one retry: a crash may be transient
        } catch (err) {
          return failedChunk(plan, start, end, `worker crashed twice on points ${start}..${end - 1}: ${(err as Error).message}`);
        }
      });
    }
  };

  const elu0 = nodePerformance.eventLoopUtilization();
  const t0Run = performance.now();
  let workerBusyMs = 0;
  try {
    const inflight = new Set<Promise<void>>();
    let dispatched = nextIndex;
    while (dispatched < range.end && !stopping) {
      if (dispatched - nextIndex >= windowPoints) {
        await Promise.race(inflight);
        continue;
      }
      const start = dispatched;
      const end = Math.min(range.end, start + chunkSize);
      dispatched = end;
      const p: Promise<void> = limit(() => runChunk(start, end)).then((res) => {
        workerBusyMs += res.busyMs ?? 0;
        pending.set(start, res);
        flush();
      }).finally(() => inflight.delete(p));
      inflight.add(p);
      if (inflight.size >= workers * 2) await Promise.race(inflight);
    }
    await Promise.all(inflight);
  } finally {
    await backgroundCheckpoint;
    await pool.close();
    await retryPool?.close();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    progress.stop();
  }

  if (ioError) {
    // Cut the half-written chunk (on a full disk that frees room for the manifest), then record
    // the last whole chunk; if even that fails, the previous durable checkpoint stands.
    try {
      ftruncateSync(results.fd, written.results_bytes);
      ftruncateSync(errors.fd, written.errors_bytes);
      await checkpoint("interrupted");
    } catch { /* the previous manifest stands */ }
    closeQuietly(results.fd, errors.fd);
    throw new RunIoError(ioError, `${cp.next_index - range.start} of ${range.end - range.start} points are safe at the last checkpoint; fix that and run the same command again to resume`);
  }
  const status: RunStatus = nextIndex >= range.end ? "complete" : "interrupted";
  await checkpoint(status);
  closeSync(results.fd);
  closeSync(errors.fd);
  const m = readManifest(dir)!;
  const note = status === "interrupted" ? `interrupted by ${signalName || "a stop"}; run the same command again to resume` : "";
  const elu = nodePerformance.eventLoopUtilization(elu0);
  const tEnd = performance.now();
  const secondHalf = half && tEnd > half.ms ? ((nextIndex - half.index) * 1000) / (tEnd - half.ms) : 0;
  return {
    ...summarize(m, dir, note),
    stats: { main_thread_busy_s: elu.active / 1000, elapsed_s: (tEnd - t0Run) / 1000, worker_utilization: workerBusyMs / (workers * (tEnd - t0Run)), second_half_points_per_s: secondHalf },
  };
}

function closeQuietly(...fds: number[]): void {
  for (const fd of fds) {
    try { closeSync(fd); } catch { /* already failing */ }
  }
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

/** "66 results (12 out of memory), 8 filtered, 22 invalid, 0 failed". */
export function describeCounts(p: ChunkCounts): string {
  const oom = p.out_of_memory ?? 0, dropped = p.dropped_oom ?? 0;
  const oomText = oom > 0 ? ` (${oom} out of memory)` : "";
  const droppedText = dropped > 0 ? `, ${dropped} out of memory left out` : "";
  return `${p.evaluated} results${oomText}${droppedText}, ${p.filtered} filtered, ${p.invalid} invalid, ${p.failed} failed`;
}

function summarize(m: Manifest, dir: string, note: string): RunSummary {
  const p = m.points;
  const exitCode = m.status === "interrupted" ? 130 : p.failed > 0 ? 1 : 0;
  const line = `${m.spec.name}: ${m.status}, ${p.done}/${p.total} points (${describeCounts(p)}) in ${formatDuration(m.elapsed_s)}, ${m.points_per_s} points/s -> ${dir}`;
  return { status: m.status, outDir: dir, manifest: m, exitCode, message: note ? `${line}\n${note}` : line };
}
