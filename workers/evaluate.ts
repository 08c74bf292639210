/** Piscina worker: evaluates one index range [start, end) of the sweep plan per task. */
import { workerData } from "piscina";
import { evaluateRange, type ChunkResult } from "../src/engine/rows.js";
import { SweepPlan } from "../src/plan/plan.js";
import type { ResolvedSpec } from "../src/spec/resolved.js";

const plan = new SweepPlan((workerData as { spec: ResolvedSpec }).spec);

/** Test hook: a worker that reaches this point index dies, as a crashing worker would. */
const crashAt = process.env.MOESWEEP_TEST_CRASH_AT === undefined ? -1 : Number(process.env.MOESWEEP_TEST_CRASH_AT);

export default function evaluateChunk(task: { start: number; end: number }): ChunkResult {
  if (crashAt >= task.start && crashAt < task.end) process.exit(70);
  return evaluateRange(plan, task.start, task.end);
}
