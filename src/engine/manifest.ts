/** manifest.json: what a run is, how far it got, and where to resume. Written atomically. */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import { InputError } from "../errors.js";
import type { CompactSpec } from "../sweep-spec/resolved.js";
import { describeMismatch, fileSize, isMismatch, verifyPrefix, writeAll, type FileDigest } from "./integrity.js";
import type { ChunkCounts } from "./rows.js";

export type RunStatus = "running" | "interrupted" | "complete";

export interface Checkpoint {
  /** Every point below this index is in the files, up to the byte counts below. */
  next_index: number;
  results_bytes: number;
  errors_bytes: number;
  /** sha256 of results.csv's first results_bytes bytes (and of errors.csv's first errors_bytes). */
  results_sha256: string;
  errors_sha256: string;
  counts: ChunkCounts;
}

export interface Manifest {
  moesweep_version: string;
  spec_hash: string;
  /** The resolved spec, ranges kept as ranges (the hash covers every value). */
  spec: CompactSpec;
  git_commit: string | null;
  /** Uncommitted changes in the moesweep checkout when the run started (null: not a checkout). */
  git_dirty?: boolean | null;
  /** What produced the run, as the caller describes it (command line, catalog hash, ...). */
  provenance?: Record<string, unknown>;
  node_version: string;
  workers: number;
  chunk_size: number;
  /** The index range this output covers: the whole grid, or one shard. */
  range: { start: number; end: number };
  shard: { index: number; count: number } | null;
  grid_points: number;
  status: RunStatus;
  points: { total: number; done: number } & ChunkCounts;
  checkpoint: Checkpoint;
  started_at: string;
  updated_at: string;
  ended_at: string | null;
  elapsed_s: number;
  points_per_s: number;
  /** Size and sha256 of each output file, recorded when the run completes. */
  files?: Record<string, FileDigest>;
}

export const MANIFEST = "manifest.json";
export const RESULTS = "results.csv";
export const ERRORS = "errors.csv";

/** A manifest.json that cannot be read or is not one moesweep wrote: exit 2. */
export class ManifestError extends InputError {}

const isCount = (v: unknown) => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;

/** The folder's manifest, or null when it has none. Throws ManifestError when it is unreadable or malformed. */
export function readManifest(dir: string): Manifest | null {
  const path = join(dir, MANIFEST);
  if (!existsSync(path)) return null;
  let m: Manifest;
  try {
    m = JSON.parse(readFileSync(path, "utf8")) as Manifest;
  } catch (err) {
    throw new ManifestError(`${path} is not valid JSON (${(err as Error).message.split("\n")[0]}): it cannot be trusted; pass --restart to start over, or choose another --out`);
  }
  const cp = m?.checkpoint;
  const ok = typeof m === "object" && m !== null && typeof m.spec_hash === "string" && typeof m.status === "string" && m.range && isCount(m.range.start) && isCount(m.range.end)
    && cp && isCount(cp.next_index) && isCount(cp.results_bytes) && isCount(cp.errors_bytes) && cp.counts && typeof m.spec?.name === "string";
  if (!ok) throw new ManifestError(`${path} is not a moesweep manifest (fields missing or of the wrong type): pass --restart to start over, or choose another --out`);
  return m;
}

/** Write to a temporary file, fsync, then rename over the old manifest: never torn. */
export function writeManifest(dir: string, m: Manifest): void {
  writeFileAtomic(join(dir, MANIFEST), JSON.stringify(m, null, 2) + "\n");
}

/** Write a file whole or not at all: a temporary file, fsync, rename. */
export function writeFileAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, "w");
  try {
    writeAll(fd, Buffer.from(text), 0);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** What each output file should hold per the manifest (the completed files, else the checkpoint). */
export function outputDigests(m: Manifest): [string, FileDigest | null][] {
  const cp = m.checkpoint;
  return [
    [RESULTS, m.files?.[RESULTS] ?? (cp.results_sha256 ? { bytes: cp.results_bytes, sha256: cp.results_sha256 } : null)],
    [ERRORS, m.files?.[ERRORS] ?? (cp.errors_sha256 ? { bytes: cp.errors_bytes, sha256: cp.errors_sha256 } : null)],
  ];
}

/**
 * How a completed folder's files differ from what its run wrote (size and
 * sha256 as recorded at completion; size only for manifests older than
 * digests), or null when they match.
 */
export function runFilesMismatch(dir: string, m: Manifest): string | null {
  for (const [f, expected] of outputDigests(m)) {
    const path = join(dir, f);
    const size = fileSize(path);
    if (expected) {
      const r = verifyPrefix(path, expected, true, size);
      if (isMismatch(r)) return describeMismatch(path, expected, r, "its manifest");
    } else {
      const bytes = f === RESULTS ? m.checkpoint.results_bytes : m.checkpoint.errors_bytes;
      if (size === null) return `${path} is missing`;
      if (size !== bytes) return `${path} has ${size} bytes, its manifest says ${bytes}`;
    }
  }
  return null;
}
