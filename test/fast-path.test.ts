/**
 * The sweep path (evaluateOutputs: the graph timed as numbers, with cached
 * operator groups) gives every output column exactly as evaluate() (Op objects)
 * does, over random points of every chip, model and parallelism, model and chip
 * overrides (so a cache key that missed a field would show), and long prompts.
 */
import { expect, it } from "vitest";
import { backendCount, backendFor } from "../src/model/timing/backend.js";
import { test as fcTest, fc } from "@fast-check/vitest";
import { evaluate, evaluateOutputs } from "../src/model/evaluate.js";
import { ConfigError, FIELDS, resolveConfig } from "../src/model/config.js";
import { CHIP_IDS } from "../src/model/catalog/chips.js";
import { BLOCKS, blockIndex } from "../src/model/ops/op.js";
import { MODEL_IDS } from "../src/model/catalog/models.js";

const point = fc.record({
  model: fc.constantFrom(...MODEL_IDS),
  chip: fc.constantFrom(...CHIP_IDS),
  phase: fc.constantFrom("prefill", "decode"),
  data_parallelism_degree: fc.constantFrom(1, 2, 4, 8),
  tensor_parallelism_degree: fc.constantFrom(1, 2, 4, 8),
  pipeline_parallelism_degree: fc.constantFrom(1, 1, 2, 4),
  expert_parallelism_degree: fc.constantFrom(1, 2, 3, 4, 8, 16, 32),
  global_batch_size: fc.oneof(fc.integer({ min: 1, max: 64 }), fc.constantFrom(256, 1024)),
  input_seqlen: fc.oneof(fc.constantFrom(128, 1024, 4096), fc.integer({ min: 1, max: 200_000 })),
  output_seqlen: fc.integer({ min: 1, max: 2048 }),
  decode_width: fc.constantFrom(1, 1, 4),
  expert_load_imbalance_factor: fc.oneof(fc.constantFrom(-1, 1, 2, 4, 8), fc.double({ min: 1, max: 20, noNaN: true })),
  num_worst_case_experts: fc.integer({ min: 1, max: 6 }),
}).chain((p) => fc.record({
  p: fc.constant(p),
  // Overrides the caches must see: model widths and chip numbers.
  over: fc.record({
    d_model: fc.constantFrom(4096, 5120, 7168),
    moe_d_ff: fc.constantFrom(1024, 1536, 2048),
    kv_lora_rank: fc.constantFrom(256, 512),
    ici_bw_GBps: fc.constantFrom(100, 200),
    ici_latency_ns: fc.constantFrom(1000, 3330),
    hbm_bw_GBps: fc.constantFrom(1200, 2765),
    vmem_size_MB: fc.constantFrom(32, 128),
  }, { requiredKeys: [] }),
}));

fcTest.prop([point], { numRuns: 3000 })("evaluateOutputs equals evaluate().outputs, column by column", ({ p, over }) => {
  let config;
  try {
    config = resolveConfig({ ...p, ...over });
  } catch (err) {
    if (err instanceof ConfigError) return;
    throw err;
  }
  let fast;
  try {
    fast = evaluateOutputs(config);
  } catch (err) {
    // Rejected while costing (e.g. EP on a shared ICI axis): evaluate() must say the same.
    if (!(err instanceof ConfigError)) throw err;
    expect(() => evaluate({ ...p, ...over })).toThrow(err.message);
    return;
  }
  // Three times: a group is cached on its second timing and replayed from the third.
  expect(evaluateOutputs(config)).toEqual(fast);
  expect(evaluateOutputs(config)).toEqual(fast);
  expect(fast).toEqual(evaluate({ ...p, ...over }).outputs);
});

/**
 * A cached group must not answer for a point that differs in any number its operators use:
 * a point's groups are cached (timed three times), then a point differing from it in one
 * field must still time as evaluate() does. Random points rarely share every other number of
 * a group key; this pairs them on purpose, for every numeric field a group could depend on
 * (taken from the registry, so a field added later is varied too).
 */
const NUMERIC_FIELDS = FIELDS
  .filter((f) => (f.kind === "int" || f.kind === "number") && ["workload", "parallelism", "imbalance", "model", "chip"].includes(f.group))
  .map((f) => f.name);

fcTest.prop([point, fc.constantFrom(...NUMERIC_FIELDS), fc.constantFrom(0.5, 2, 3)], { numRuns: 3000 })(
  "a point one field away from a cached one times as evaluate() does",
  ({ p, over }, field, factor) => {
    let first, second;
    try {
      first = resolveConfig({ ...p, ...over });
      const v = first[field] as number;
      second = resolveConfig({ ...p, ...over, [field]: Number.isInteger(v) ? Math.max(1, Math.round(v * factor)) : v * factor });
      for (let i = 0; i < 3; i++) evaluateOutputs(first);
      expect(evaluateOutputs(second)).toEqual(evaluate(second).outputs);
    } catch (err) {
      if (err instanceof ConfigError) return;
      throw err;
    }
  },
);

it("caches an operator group the second time it is timed, and replays it from the third", () => {
  // A prompt length no other test uses: every group of this point is new to the cache.
  const config = resolveConfig({ chip: "tpuv6e", num_chips: 16, tensor_parallelism_degree: 16, expert_parallelism_degree: 4, global_batch_size: 3, input_seqlen: 77_777 });
  const cache = backendFor(config).groupCache;
  const before = cache.size;
  const first = evaluateOutputs(config);
  expect(cache.size).toBe(before); // seen once: not cached
  expect(evaluateOutputs(config)).toEqual(first);
  const cached = cache.size - before;
  expect(cached).toBeGreaterThanOrEqual(3); // attention, router, expert FFNs
  expect(evaluateOutputs(config)).toEqual(first);
  expect(cache.size - before).toBe(cached); // replayed, nothing new
});

it("keeps at most four chips' caches: a sweep over many chip variants stays within a worker's memory", () => {
  const first = resolveConfig({ chip: "tpuv5p", num_chips: 8, tensor_parallelism_degree: 8, hbm_bw_GBps: 1001 });
  const outputs = evaluateOutputs(first);
  const firstBackend = backendFor(first);
  for (let v = 0; v < 10; v++) {
    evaluateOutputs(resolveConfig({ chip: "tpuv5p", num_chips: 8, tensor_parallelism_degree: 8, hbm_bw_GBps: 1100 + v }));
    expect(backendCount()).toBeLessThanOrEqual(4);
  }
  expect(backendFor(first)).not.toBe(firstBackend); // evicted, made anew
  expect(evaluateOutputs(first)).toEqual(outputs);
});

it("numbers every block by its place in BLOCKS (the per-block sums' index)", () => {
  expect(BLOCKS.map(blockIndex)).toEqual(BLOCKS.map((_, i) => i));
});
