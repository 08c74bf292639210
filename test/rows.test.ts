/** evaluateRange: a chunk's result rows, error rows and counts, as the workers make them. */
import { expect, it } from "vitest";
import { evaluateRange } from "../src/engine/rows.js";
import { SweepPlan } from "../src/plan/plan.js";
import { resolveSpec } from "../src/sweep-spec/load.js";

it("writes an invalid point as an error row naming the field, and leaves the stack trace limit as it was", () => {
  // EP = 3 divides neither dp * tp = 8 nor exceeds it: invalid; EP = 1, 2 are valid.
  const plan = new SweepPlan(resolveSpec({
    name: "rows", base: { num_chips: 8, tensor_parallelism_degree: 8, global_batch_size: 4, input_seqlen: 512 },
    grid: { expert_parallelism_degree: [1, 3, 2] },
  }));
  const before = Error.stackTraceLimit;
  Error.stackTraceLimit = 17;
  try {
    const chunk = evaluateRange(plan, 0, plan.total);
    expect(Error.stackTraceLimit).toBe(17);
    expect(chunk.counts).toMatchObject({ evaluated: 2, invalid: 1, failed: 0 });
    const lines = chunk.errorsCsv.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^1,invalid,expert_parallelism_degree,"expert_parallelism_degree = 3: must divide/);
    expect(Buffer.from(chunk.resultsBytes).toString("utf8").split("\n").filter(Boolean).map((l) => l.split(",")[0])).toEqual(["0", "2"]);
  } finally {
    Error.stackTraceLimit = before;
  }
});
