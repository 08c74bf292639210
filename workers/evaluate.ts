/** Piscina worker: evaluates one index range [start, end) of the sweep plan per task. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parentPort, threadId } from "node:worker_threads";
import { Piscina, workerData } from "piscina";
import { evaluateRange, packChunk } from "../src/engine/rows.js";
import { SweepPlan } from "../src/plan/plan.js";
import type { ResolvedSpec } from "../src/sweep-spec/resolved.js";
import { WORKER_LOADED } from "../src/engine/worker-pool.js";

// V8 compiles typed-array code on the premise that no ArrayBuffer in this thread was ever detached,
// and throws all of that code away when the first one is: here the first chunk moved to the main
// thread, after the first 2,048 points, when the model and the row writer are already compiled.
// Detach one now, before anything is compiled, so they are compiled once.
const nothing = new ArrayBuffer(0);
structuredClone(nothing, { transfer: [nothing] });

const plan = new SweepPlan((workerData as { spec: ResolvedSpec }).spec);

/** Test hook: a worker that reaches this point index dies, as a crashing worker would. */
const crashAt = process.env.MOESWEEP_TEST_CRASH_AT === undefined ? -1 : Number(process.env.MOESWEEP_TEST_CRASH_AT);

/**
 * Test hook, "<ms>,<dir>": a worker with an even thread id takes <ms> longer to load, and each marks
 * <dir>/loaded-<thread id> once loaded (a worker terminated while loading leaves no mark).
 */
const slowLoad = process.env.MOESWEEP_TEST_SLOW_LOAD?.split(",");
if (slowLoad) {
  if (threadId % 2 === 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(slowLoad[0]));
  writeFileSync(join(slowLoad[1], `loaded-${threadId}`), "");
}

// Loaded: the pool may now close without terminating this worker mid-load (engine/worker-pool.ts).
// Posted from a microtask, which runs once the require() that piscina loads this module with has
// returned: a worker terminated inside it, even after this module has run, aborts the process.
queueMicrotask(() => parentPort?.postMessage({ [WORKER_LOADED]: threadId }));

/** `buffer`: a chunk buffer the main thread has written out, moved back here to be filled again. */
export default function evaluateChunk(task: { start: number; end: number; buffer?: ArrayBuffer }): Uint8Array {
  if (crashAt >= task.start && crashAt < task.end) process.exit(70);
  // The chunk as one byte buffer, moved (not copied) to the main thread, which only appends it.
  const t0 = performance.now();
  const res = evaluateRange(plan, task.start, task.end, task.buffer);
  res.busyMs = performance.now() - t0;
  return Piscina.move(packChunk(res)) as unknown as Uint8Array;
}
