/** manifest.json: what a run is, how far it got, and where to resume. Written atomically. */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { ResolvedSpec } from "../spec/resolved.js";
import type { ChunkCounts } from "./rows.js";

export type RunStatus = "running" | "interrupted" | "complete";

export interface Checkpoint {
  /** Every point below this index is in the files, up to the byte counts below. */
  next_index: number;
  results_bytes: number;
  errors_bytes: number;
  counts: ChunkCounts;
}

export interface Manifest {
  moesweep_version: string;
  spec_hash: string;
  spec: ResolvedSpec;
  git_commit: string | null;
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
}

export const MANIFEST = "manifest.json";
export const RESULTS = "results.csv";
export const ERRORS = "errors.csv";

export function readManifest(dir: string): Manifest | null {
  const path = join(dir, MANIFEST);
  if (!existsSync(path)) return null;
  return JSON.parse(readFileSync(path, "utf8")) as Manifest;
}

/** Write to a temporary file, fsync, then rename over the old manifest: never torn. */
export function writeManifest(dir: string, m: Manifest): void {
  const path = join(dir, MANIFEST);
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, "w");
  try {
    writeSync(fd, JSON.stringify(m, null, 2) + "\n");
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}
