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

export function sweepPool(options: ConstructorParameters<typeof Piscina>[0]): SweepPool {
  const pool = new Piscina(options);
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
