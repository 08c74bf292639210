/**
 * A piscina pool that is never torn down while one of its workers is still loading its module.
 * Node 20 aborts the whole process (FATAL ERROR: v8::Module::IsGraphAsync must be used on an
 * instantiated module) when a worker is terminated while it instantiates an ES module through
 * require(), which is how piscina first tries to load a worker file. Without the wait, a run that
 * ended before every worker had started (a small sweep, a stop right after the start) died after
 * its last chunk, before its final checkpoint: about one tiny 2-worker run in 300 here.
 */
import { Piscina } from "piscina";

/** The message a worker posts once its module has loaded: its thread id under this key. */
export const WORKER_LOADED = "moesweepWorkerLoaded";

/** The longest wait for a worker still loading when the pool closes; past it the pool closes anyway. */
const LOAD_WAIT_MS = 30_000;

export interface SweepPool {
  pool: Piscina;
  /** Destroy the pool once every live worker has loaded its module. */
  close(): Promise<void>;
}

/**
 * Results are posted as each task ends (`atomics: "disabled"`). In piscina's default mode a
 * worker, on waking, takes every task already in its port into one chain of promises: with two
 * tasks queued it runs both and only then posts both results, and then waits for the main thread
 * to hand it more. Measured on the bench's typical sweep with 2 workers and 2 tasks each: a
 * quarter of the chunks (149 of 576) reached the main thread more than 5 ms after they were done
 * (90th percentile 22 ms, against 0.3 ms with it disabled); the workers' waits between tasks
 * longer than 1 ms fell from 440-540 to 190-230 ms a run; 10 paired runs, 8 faster, median
 * 213k -> 218k points/s. The cost, an event-loop turn per task, is small: a worker's whole gap
 * between two tasks measured 0.25 ms (median), against a task's 13-15 ms.
 */
export function sweepPool(options: Omit<ConstructorParameters<typeof Piscina>[0], "atomics">): SweepPool {
  const pool = new Piscina({ ...options, atomics: "disabled" });
  const loaded = new Set<number>();
  pool.on("message", (message: unknown) => {
    if (typeof message === "object" && message !== null && WORKER_LOADED in message) {
      loaded.add((message as Record<typeof WORKER_LOADED, number>)[WORKER_LOADED]);
    }
  });
  return {
    pool,
    async close() {
      const deadline = Date.now() + LOAD_WAIT_MS;
      // A worker that died while loading has left pool.threads; one still loading has not reported.
      while (pool.threads.some((t) => !loaded.has(t.threadId)) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await pool.destroy();
    },
  };
}
