import { describe, expect, it } from "vitest";
import { fileURLToPath } from "node:url";
import { sweepPool } from "../src/engine/worker-pool.js";

const TWO_TASKS = fileURLToPath(new URL("./fixtures/pool/two-tasks.mjs", import.meta.url));

describe("the sweep pool", () => {
  it("posts a task's result as soon as it ends, while the worker's next task is still running", async () => {
    // One worker holding two tasks, as a run's workers do: the second task waits until the main
    // thread has the first one's result. A worker that kept the first result until the second task
    // ended (piscina's Atomics wait loop) would leave the second waiting until its timeout.
    const { pool, close } = sweepPool({ filename: TWO_TASKS, minThreads: 1, maxThreads: 1, concurrentTasksPerWorker: 2 });
    try {
      const flag = new SharedArrayBuffer(4);
      const first = pool.run({ kind: "first" });
      const second = pool.run({ kind: "second", flag, timeoutMs: 30_000 });
      expect(await first).toBe("first");
      const flags = new Int32Array(flag);
      Atomics.store(flags, 0, 1);
      Atomics.notify(flags, 0);
      expect(["ok", "not-equal"]).toContain(await second);
    } finally {
      await close();
    }
  });
});
