/**
 * Merge shard outputs into one result set, byte-identical to an unsharded run.
 * Everything is checked before anything is written.
 */
import { createHash, type Hash } from "node:crypto";
import { closeSync, copyFileSync, existsSync, readdirSync, fstatSync, fsyncSync, mkdirSync, openSync, readSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import { InputError } from "../errors.js";
import { addCounts, zeroCounts } from "./rows.js";
import type { FileDigest } from "./integrity.js";
import { lockFolder } from "./lock.js";
import { runFilesMismatch, ERRORS, MANIFEST, RESULTS, readManifest, writeManifest, type Manifest } from "./manifest.js";

export class MergeError extends InputError {}

interface ShardOutput {
  dir: string;
  manifest: Manifest;
}

function loadShard(dir: string): ShardOutput {
  if (!existsSync(join(dir, MANIFEST))) throw new MergeError(`${dir}: no manifest.json; is it a moesweep run folder?`);
  let manifest: Manifest;
  try {
    manifest = readManifest(dir)!;
  } catch (err) {
    throw new MergeError(`${dir}: ${(err as Error).message.split(": it cannot")[0].split(" (fields")[0]}`);
  }
  return { dir, manifest };
}

/** Validate the shards; returns them in index order. */
export function checkShards(dirs: string[]): ShardOutput[] {
  if (dirs.length === 0) throw new MergeError("name the shard folders to merge");
  const shards = dirs.map(loadShard);
  const first = shards[0].manifest;
  for (const { dir, manifest: m } of shards) {
    const label = `${dir}${m.shard ? ` (shard ${m.shard.index}/${m.shard.count})` : ""}`;
    if (!m.shard) throw new MergeError(`${label}: not a shard (run without --shard); nothing to merge it with`);
    if (m.spec_hash !== first.spec_hash) throw new MergeError(`${label}: spec hash ${m.spec_hash} differs from ${shards[0].dir}'s ${first.spec_hash}: a shard of another spec`);
    if (m.moesweep_version !== first.moesweep_version) throw new MergeError(`${label}: made by moesweep ${m.moesweep_version}, ${shards[0].dir} by ${first.moesweep_version}`);
    if (m.shard.count !== first.shard!.count) throw new MergeError(`${label}: one of ${m.shard.count} shards, ${shards[0].dir} one of ${first.shard!.count}`);
    if (m.status !== "complete") throw new MergeError(`${label}: incomplete (${m.status}, ${m.points.done}/${m.points.total} points); rerun its command to finish it`);
    const bad = runFilesMismatch(dir, m);
    if (bad) throw new MergeError(`${label}: ${bad}; rerun its command with --restart to redo it`);
  }
  const byIndex = new Map<number, ShardOutput>();
  for (const s of shards) {
    const i = s.manifest.shard!.index;
    const dup = byIndex.get(i);
    if (dup) throw new MergeError(`shard ${i}/${first.shard!.count} given twice: ${dup.dir} and ${s.dir}`);
    byIndex.set(i, s);
  }
  const missing = [...Array(first.shard!.count).keys()].filter((i) => !byIndex.has(i));
  if (missing.length) throw new MergeError(`missing shard${missing.length > 1 ? "s" : ""} ${missing.slice(0, 10).join(", ")}${missing.length > 10 ? ", ..." : ""} of ${first.shard!.count}`);
  const ordered = [...byIndex.keys()].sort((a, b) => a - b).map((i) => byIndex.get(i)!);
  let next = 0;
  for (const s of ordered) {
    const r = s.manifest.range;
    if (r.start !== next) throw new MergeError(`${s.dir} (shard ${s.manifest.shard!.index}): covers points from ${r.start}, expected ${next}: ${r.start > next ? "a gap" : "an overlap"}`);
    next = r.end;
  }
  if (next !== first.grid_points) throw new MergeError(`the shards cover points 0..${next - 1} of a ${first.grid_points}-point grid`);
  return ordered;
}

/** Append a file to fd (and to its running hash), skipping its first line (the CSV header) unless keepHeader. */
function appendFile(fd: number, hash: Hash, path: string, keepHeader: boolean): void {
  const src = openSync(path, "r");
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    let skipping = !keepHeader;
    let n: number;
    while ((n = readSync(src, buf, 0, buf.length, null)) > 0) {
      let from = 0;
      if (skipping) {
        const nl = buf.indexOf(10);
        if (nl < 0 || nl >= n) continue;
        from = nl + 1;
        skipping = false;
      }
      writeSync(fd, buf, from, n - from);
      hash.update(buf.subarray(from, n));
    }
  } finally {
    closeSync(src);
  }
}

export function mergeShards(dirs: string[], outDir: string): Manifest {
  const shards = checkShards(dirs);
  if (existsSync(outDir) && !statSync(outDir).isDirectory()) throw new MergeError(`--out ${outDir} is a file, not a folder; choose an empty folder`);
  if (existsSync(join(outDir, MANIFEST)) || existsSync(join(outDir, RESULTS))) {
    throw new MergeError(`${outDir} already holds a run; choose an empty --out`);
  }
  mkdirSync(outDir, { recursive: true });
  const release = lockFolder(outDir, "moesweep merge");
  try {
    return writeMerged(shards, outDir);
  } finally {
    release();
  }
}

function writeMerged(shards: ShardOutput[], outDir: string): Manifest {
  const tmp = (f: string) => join(outDir, `.${f}.merging`);
  const files: Record<string, FileDigest> = {};
  try {
    for (const f of [RESULTS, ERRORS]) {
      const fd = openSync(tmp(f), "w");
      const hash = createHash("sha256");
      try {
        shards.forEach((s, i) => appendFile(fd, hash, join(s.dir, f), i === 0));
        fsyncSync(fd);
        files[f] = { bytes: fstatSync(fd).size, sha256: hash.digest("hex") };
      } finally {
        closeSync(fd);
      }
    }
  } catch (err) {
    for (const f of [RESULTS, ERRORS]) rmSync(tmp(f), { force: true });
    throw err;
  }
  for (const f of [RESULTS, ERRORS]) renameSync(tmp(f), join(outDir, f));
  // Side files every shard wrote alike (the data dictionary) come along from the first.
  for (const f of readdirSync(shards[0].dir).filter((n) => n.endsWith(".json") && n !== MANIFEST)) copyFileSync(join(shards[0].dir, f), join(outDir, f));
  const first = shards[0].manifest;
  const counts = shards.reduce((t, s) => addCounts(t, s.manifest.checkpoint.counts), zeroCounts());
  const elapsed = Math.max(...shards.map((s) => s.manifest.elapsed_s));
  const merged: Manifest = {
    ...first,
    shard: null,
    range: { start: 0, end: first.grid_points },
    workers: shards.reduce((t, s) => t + s.manifest.workers, 0),
    points: { total: first.grid_points, done: first.grid_points, ...counts },
    checkpoint: {
      next_index: first.grid_points,
      results_bytes: files[RESULTS].bytes,
      errors_bytes: files[ERRORS].bytes,
      results_sha256: files[RESULTS].sha256,
      errors_sha256: files[ERRORS].sha256,
      counts,
    },
    files,
    started_at: shards.map((s) => s.manifest.started_at).sort()[0],
    ended_at: shards.map((s) => s.manifest.ended_at ?? "").sort().pop() ?? null,
    updated_at: new Date().toISOString(),
    elapsed_s: elapsed,
    points_per_s: Math.round(first.grid_points / Math.max(elapsed, 1e-9)),
    status: "complete",
  };
  writeManifest(outDir, merged);
  return merged;
}
