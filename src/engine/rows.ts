/**
 * Evaluate a contiguous range of plan points and format them as CSV text:
 * results rows for valid points, error rows for invalid or failed ones.
 * Runs inside workers and, for the benchmark's ideal, in-process.
 */
import { ConfigError, configKey } from "../model/config.js";
import { evaluateOutputs, type Outputs } from "../model/evaluate.js";
import { ENERGY_COLUMNS, evaluateWithEnergy, type EnergyOutputs } from "../model/energy/energy-columns.js";
import type { SweepPlan } from "../plan/plan.js";
import { compileRowWriter, csvText, RowBytes, type RowWriter } from "./row-format.js";

export const ERROR_COLUMNS = ["point_index", "kind", "field", "reason", "config"] as const;

export interface ChunkCounts {
  /** Rows written to results.csv. */
  evaluated: number;
  /** Dropped by `where`. */
  filtered: number;
  /** Rejected by the model's validation (ConfigError). */
  invalid: number;
  /** Crashed: an unexpected error, or a worker that died twice on the chunk. */
  failed: number;
  /** Rows written whose configuration does not fit in the chip's HBM (out_of_memory = true). */
  out_of_memory: number;
  /** Out-of-memory points left out of results.csv (`keep: fits`). */
  dropped_oom: number;
}

export const zeroCounts = (): ChunkCounts => ({ evaluated: 0, filtered: 0, invalid: 0, failed: 0, out_of_memory: 0, dropped_oom: 0 });

/** Sum of counts (manifests older than the OOM counts lack them: 0). */
export function addCounts(a: ChunkCounts, b: ChunkCounts): ChunkCounts {
  return {
    evaluated: a.evaluated + b.evaluated, filtered: a.filtered + b.filtered, invalid: a.invalid + b.invalid, failed: a.failed + b.failed,
    out_of_memory: (a.out_of_memory ?? 0) + (b.out_of_memory ?? 0), dropped_oom: (a.dropped_oom ?? 0) + (b.dropped_oom ?? 0),
  };
}

export interface ChunkResult {
  start: number;
  end: number;
  /** The result rows, CSV as UTF-8 bytes: a view of the front of the chunk's buffer, after which packChunk writes its trailer. */
  resultsBytes: Uint8Array;
  /** Time the worker spent on the chunk (for the bench's idle share). */
  busyMs?: number;
  errorsCsv: string;
  counts: ChunkCounts;
}

/** The row writer for a plan's columns, compiled once per plan. */
const writers = new WeakMap<SweepPlan, RowWriter>();
function writerFor(plan: SweepPlan): RowWriter {
  let f = writers.get(plan);
  if (!f) {
    const fields = new Set<string>(plan.recordedFields);
    const energy = new Set<string>(ENERGY_COLUMNS);
    f = compileRowWriter(plan.columns.map((name) => ({
      name,
      source: name === "point_index" ? "index" : name === "config_key" ? "key" : fields.has(name) ? "config" : energy.has(name) ? "energy" : "outputs",
    })));
    writers.set(plan, f);
  }
  return f;
}

export function evaluateRange(plan: SweepPlan, start: number, end: number, reuse?: ArrayBuffer): ChunkResult {
  // Rows become text at once, so no chunk-long arrays outlive the young generation.
  const rows = new RowBytes(reuse);
  const errors: unknown[][] = [];
  const counts = zeroCounts();
  // An error row records a message, never a stack, and capturing one cost most of such a row
  // (a sweep over a dense model's EP axis is mostly error rows): none is captured meanwhile.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    evaluateInto(plan, start, end, rows, errors, counts);
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
  return { start, end, resultsBytes: new Uint8Array(rows.buf.buffer, rows.buf.byteOffset, rows.length), errorsCsv: csvText(errors), counts };
}

function evaluateInto(plan: SweepPlan, start: number, end: number, rows: RowBytes, errors: unknown[][], counts: ChunkCounts): void {
  const writeRow = writerFor(plan);
  const wantsKey = plan.columns.includes("config_key");
  const keepFits = plan.spec.keep === "fits";
  for (let i = start; i < end; i++) {
    try {
      const config = plan.resolvePoint(i);
      if (config === null) {
        counts.filtered++;
        continue;
      }
      // Energy needs each operator's energy: one evaluation gives both (its outputs equal evaluateOutputs', tested).
      let outputs: Outputs, energy: EnergyOutputs | undefined;
      if (plan.wantsEnergy) {
        ({ outputs, energy } = evaluateWithEnergy(config, plan.wantsEpGroup, plan.wantsEnergyComponents));
      } else {
        outputs = evaluateOutputs(config);
      }
      if (outputs.out_of_memory) {
        if (keepFits) {
          counts.dropped_oom++;
          continue;
        }
        counts.out_of_memory++;
      }
      writeRow(rows, i, wantsKey ? configKey(config) : "", config, outputs, energy);
      counts.evaluated++;
    } catch (err) {
      if (err instanceof ConfigError) {
        counts.invalid++;
        errors.push([i, "invalid", err.field, err.message, JSON.stringify(plan.pointInput(i))]);
      } else {
        counts.failed++;
        errors.push([i, "failed", "", (err as Error).message ?? String(err), JSON.stringify(plan.pointInput(i))]);
      }
    }
  }
}

/**
 * A chunk as one buffer, so a worker can move it to the main thread without a
 * copy: the result rows' UTF-8 bytes (already in place), then a small JSON
 * trailer (range, counts, error rows) and its 4-byte length.
 */
export function packChunk(res: ChunkResult): Uint8Array {
  const trailer = Buffer.from(JSON.stringify({ start: res.start, end: res.end, errorsCsv: res.errorsCsv, counts: res.counts, busyMs: res.busyMs }), "utf8");
  const rowsLength = res.resultsBytes.byteLength;
  let out = new Uint8Array(res.resultsBytes.buffer, res.resultsBytes.byteOffset, res.resultsBytes.buffer.byteLength - res.resultsBytes.byteOffset);
  if (out.byteLength < rowsLength + trailer.length + 4) {
    const grown = new Uint8Array(rowsLength + trailer.length + 4);
    grown.set(res.resultsBytes);
    out = grown;
  }
  out.set(trailer, rowsLength);
  new DataView(out.buffer, out.byteOffset).setUint32(rowsLength + trailer.length, trailer.length);
  return out.subarray(0, rowsLength + trailer.length + 4);
}

export function unpackChunk(buf: Uint8Array): ChunkResult {
  const trailerLength = new DataView(buf.buffer, buf.byteOffset, buf.byteLength).getUint32(buf.byteLength - 4);
  const rowsLength = buf.byteLength - 4 - trailerLength;
  const header = JSON.parse(Buffer.from(buf.buffer, buf.byteOffset + rowsLength, trailerLength).toString("utf8")) as Omit<ChunkResult, "resultsBytes">;
  return { ...header, resultsBytes: buf.subarray(0, rowsLength) };
}

/** Error rows for a chunk whose worker died twice. */
export function failedChunk(plan: SweepPlan, start: number, end: number, reason: string): ChunkResult {
  const errors: unknown[][] = [];
  for (let i = start; i < end; i++) errors.push([i, "failed", "", reason, JSON.stringify(plan.pointInput(i))]);
  return { start, end, resultsBytes: new Uint8Array(0), errorsCsv: csvText(errors), counts: { ...zeroCounts(), failed: end - start } };
}
