import { describe, expect, it, vi } from "vitest";
import { fc, test as fcTest } from "@fast-check/vitest";
import { ConfigError, resolveConfig } from "../src/model/config.js";
import { shardRange, SweepPlan } from "../src/plan/plan.js";
import { expandRange, resolveSpec, SpecError, specHash } from "../src/sweep-spec/load.js";

const spec = (over: Record<string, unknown> = {}) => resolveSpec({
  name: "t",
  base: { model: "deepseekv3-671b" },
  grid: { expert_load_imbalance_factor: [1, 2, -1], num_worst_case_experts: [1, 8], phase: ["prefill", "decode"] },
  zip: [{ num_chips: [8, 64], tensor_parallelism_degree: [8, 8] }],
  ...over,
});

describe("SweepPlan decoding", () => {
  it("counts the product of axis lengths and orders points like nested loops (last axis fastest)", () => {
    const plan = new SweepPlan(spec());
    expect(plan.total).toBe(3 * 2 * 2 * 2);
    expect(plan.pointInput(0)).toMatchObject({ expert_load_imbalance_factor: 1, num_worst_case_experts: 1, phase: "prefill", num_chips: 8 });
    expect(plan.pointInput(1)).toMatchObject({ expert_load_imbalance_factor: 1, num_worst_case_experts: 1, phase: "prefill", num_chips: 64 });
    expect(plan.pointInput(2)).toMatchObject({ phase: "decode", num_chips: 8 });
    expect(plan.pointInput(23)).toMatchObject({ expert_load_imbalance_factor: -1, num_worst_case_experts: 8, phase: "decode", num_chips: 64 });
  });

  it("a 100-million-point grid plans instantly and decodes any point", () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    const big = new SweepPlan(resolveSpec({ name: "big", grid: { input_seqlen: values, output_seqlen: values, global_batch_size: values, decode_width: values } }));
    expect(big.total).toBe(100_000_000);
    expect(big.pointInput(99_999_999)).toMatchObject({ input_seqlen: 100, output_seqlen: 100, global_batch_size: 100, decode_width: 100 });
    expect(big.pointInput(12_345_678)).toMatchObject({ input_seqlen: 13, output_seqlen: 35, global_batch_size: 57, decode_width: 79 });
  });

  const axesArb = fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 5 });
  const planOf = (lengths: number[]) => {
    const fields = ["input_seqlen", "output_seqlen", "global_batch_size", "decode_width", "num_layers"];
    const grid: Record<string, number[]> = {};
    lengths.forEach((n, a) => { grid[fields[a]] = Array.from({ length: n }, (_, i) => 100 * (a + 1) + i); });
    return new SweepPlan(resolveSpec({ name: "p", grid }));
  };

  fcTest.prop([axesArb])("index <-> point is a bijection over the whole grid", (lengths) => {
    const plan = planOf(lengths);
    expect(plan.total).toBe(lengths.reduce((p, n) => p * n, 1));
    const seen = new Set<string>();
    for (let i = 0; i < plan.total; i++) {
      const key = JSON.stringify(plan.pointInput(i));
      expect(seen.has(key)).toBe(false);
      seen.add(key);
      // digits re-encode to the index
      const d = plan.digits(i);
      expect(d.reduce((acc, digit, a) => acc * lengths[a] + digit, 0)).toBe(i);
    }
  });

  fcTest.prop([fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 20 })])("zip axes stay paired", (xs) => {
    const plan = new SweepPlan(resolveSpec({ name: "z", grid: { phase: ["prefill", "decode"] }, zip: [{ input_seqlen: xs, output_seqlen: xs.map((x) => x + 1000) }] }));
    expect(plan.total).toBe(2 * xs.length);
    for (let i = 0; i < plan.total; i++) {
      const p = plan.pointInput(i);
      expect(p.output_seqlen).toBe((p.input_seqlen as number) + 1000);
    }
  });

  fcTest.prop([fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 1, max: 64 })])("shards cover [0, total) contiguously, balanced to within one point", (total, n) => {
    let next = 0;
    const sizes: number[] = [];
    for (let i = 0; i < n; i++) {
      const r = shardRange(total, i, n);
      expect(r.start).toBe(next);
      next = r.end;
      sizes.push(r.end - r.start);
    }
    expect(next).toBe(total);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
  });
});

describe("filters (where)", () => {
  it("drop points, and the kept count equals the product minus the filtered ones", () => {
    const plan = new SweepPlan(spec({ where: "num_worst_case_experts <= 4 or phase == \"decode\"" }));
    let kept = 0;
    for (let i = 0; i < plan.total; i++) if (plan.keeps(plan.pointInput(i))) kept++;
    // W=8 with prefill is dropped: 3 f x 1 W x 1 phase x 2 zip = 6 points
    expect(kept).toBe(plan.total - 6);
  });

  it("see catalog defaults, so they can drop what the model would reject", () => {
    const plan = new SweepPlan(resolveSpec({ name: "m", grid: { model: ["deepseekv3-671b", "deepseekv2-236b"], num_worst_case_experts: [6, 8] }, where: ["num_worst_case_experts <= num_activated_routed_experts_per_token"] }));
    const kept = Array.from({ length: plan.total }, (_, i) => plan.pointInput(i)).filter((p) => plan.keeps(p));
    expect(kept).toEqual([{ model: "deepseekv3-671b", num_worst_case_experts: 6 }, { model: "deepseekv3-671b", num_worst_case_experts: 8 }, { model: "deepseekv2-236b", num_worst_case_experts: 6 }]);
  });

  it("are compiled safely: unparseable or unknown names are rejected before anything runs", () => {
    expect(() => new SweepPlan(spec({ where: "num_chips <=" }))).toThrow(/^where\[0\]: cannot parse "num_chips <="/);
    expect(() => new SweepPlan(spec({ where: ["num_chips > 1", "num_chipz > 1"] }))).toThrow(/^where\[1\]: .*num_chipz/);
    expect(() => new SweepPlan(spec({ where: "process.exit(1)" }))).toThrow(SpecError);
  });
});

describe("spec validation", () => {
  const bad: [unknown, RegExp][] = [
    [{ name: "x", grid: { expert_load_imbalance_factor: [1, 2, 4, "high"] } }, /^grid\.expert_load_imbalance_factor\[3\]: .*expected number, received string/],
    [{ name: "x", grid: { input_seqlen: { from: 1, to: 9, stp: 2 } } }, /^grid\.input_seqlen: expected a list of values, or a range \{from, to, step\}/],
    [{ name: "x", grid: { expert_load_imbalance_factr: [1] } }, /grid.*expert_load_imbalance_factr/],
    [{ name: "x", grid: { input_seqlen: [] } }, /^grid\.input_seqlen: .*at least one value/],
    [{ name: "x", grid: { chip: ["tpuv5p", "tpuv9"] } }, /^grid\.chip\[1\]: /],
    [{ name: "x", base: { global_batch_size: 0 } }, /^base\.global_batch_size: /],
    [{ name: "x", zip: [{ num_chips: [8, 16], tensor_parallelism_degree: [8] }] }, /^zip\[0\]\.tensor_parallelism_degree: has 1 values but zip\[0\]\.num_chips has 2/],
    [{ name: "x", base: { phase: "decode" }, grid: { phase: ["prefill"] } }, /^grid\.phase: phase is already set in base\.phase/],
    [{ name: "../escape" }, /^name: /],
    [{ grid: {} }, /^name: /],
    [{ name: "x", grid: { input_seqlen: { from: 10, to: 1, step: 1 } } }, /^grid\.input_seqlen: from \(10\) must be <= to \(1\)/],
    [{ name: "x", grid: { input_seqlen: { from: 1, to: 2, step: 0.5 } } }, /^grid\.input_seqlen: value #1 \(1\.5\) is not an integer/],
    [{ name: "x", columns: ["receiver_skew", "nope"] }, /^columns\[1\]: /],
    [{ name: "x", extra: 1 }, /extra/],
  ];
  for (const [raw, msg] of bad) {
    it(`rejects ${JSON.stringify(raw)}`, () => {
      expect(() => resolveSpec(raw)).toThrow(SpecError);
      expect(() => resolveSpec(raw)).toThrow(msg);
    });
  }

  it("expands ranges: arithmetic and geometric, both ends inclusive", () => {
    expect(expandRange({ from: 1, to: 2, step: 0.25 }, "expert_load_imbalance_factor", "g")).toEqual([1, 1.25, 1.5, 1.75, 2]);
    expect(expandRange({ from: 1, to: 32, times: 2 }, "expert_load_imbalance_factor", "g")).toEqual([1, 2, 4, 8, 16, 32]);
    expect(expandRange({ from: 0.1, to: 0.3, step: 0.1 }, "freq_GHz", "g")).toEqual([0.1, 0.2, 0.3]);
  });

  it("hashes equal specs equally, whatever the order of base keys", () => {
    const a = resolveSpec({ name: "h", base: { num_chips: 8, phase: "decode" } });
    const b = resolveSpec({ name: "h", base: { phase: "decode", num_chips: 8 } });
    expect(specHash(a)).toBe(specHash(b));
    expect(specHash(a)).not.toBe(specHash(resolveSpec({ name: "h", base: { phase: "decode", num_chips: 16 } })));
  });

  it("keeps the file's axis order (it defines point order)", () => {
    const s = resolveSpec({ name: "o", grid: { num_worst_case_experts: [1, 2], chip: ["tpuv5p"] } });
    expect(s.axes.map((a) => a.fields[0])).toEqual(["num_worst_case_experts", "chip"]);
  });
});

describe("resolvePoint (no input object for most points)", () => {
  /** What resolvePoint must equal: the point's input, filtered, then resolveConfig; an error as its field and message. */
  const reference = (plan: SweepPlan, i: number) => {
    try {
      const input = plan.pointInput(i);
      return plan.keeps(input) ? resolveConfig(input) : null;
    } catch (err) {
      return { field: (err as ConfigError).field, message: (err as Error).message };
    }
  };
  const outcome = (plan: SweepPlan, i: number) => {
    try {
      return plan.resolvePoint(i);
    } catch (err) {
      return { field: (err as ConfigError).field, message: (err as Error).message };
    }
  };

  // Axes a sweep may have, with values the spec layer refuses too (the plan takes any resolved
  // spec): non-integers, out-of-bounds and non-finite numbers, strings in numeric fields, degrees
  // whose product passes CHIPS_MAX, and factors, W and EP that break the cross-field rules.
  const AXES: Record<string, unknown[]> = {
    global_batch_size: [1, 3, 64, 0, 2.5, 2 ** 25],
    input_seqlen: [128, 70_000, Number.NaN],
    expert_parallelism_degree: [1, 2, 3, 8, 32, 512],
    expert_load_imbalance_factor: [-1, 1, 1.5, 32, 40, 0, Number.POSITIVE_INFINITY],
    num_worst_case_experts: [1, 6, 8, 9],
    num_chips: [1, 8, 64, "64"],
    data_parallelism_degree: [1, 2, 2 ** 20],
    tensor_parallelism_degree: [1, 8, 16],
    phase: ["prefill", "decode"],
    chip: ["tpuv4", "tpuv5p", "tpuv9"],
    model: ["deepseekv3-671b", "deepseekv2-236b", "llama3-8b"],
    expert_load_model: ["worst_case", "uniform", 7],
  };
  const FILTERS = ["global_batch_size < 64", "num_chips >= 8", "phase == \"decode\" or num_worst_case_experts <= 6"];

  const specArb = fc.record({
    axes: fc.uniqueArray(fc.constantFrom(...Object.keys(AXES)), { minLength: 1, maxLength: 5 })
      .chain((names) => fc.tuple(...names.map((n) => fc.subarray(AXES[n], { minLength: 1 }).map((values) => ({ fields: [n], values: values.map((v) => [v]) }))))),
    base: fc.subarray(["num_chips: 64", "tensor_parallelism_degree: 8", "global_batch_size: 4"]),
    where: fc.subarray(FILTERS, { maxLength: 1 }),
  });
  const planOf = ({ axes, base, where }: { axes: { fields: string[]; values: unknown[][] }[]; base: string[]; where: string[] }) => {
    const baseObj = Object.fromEntries(base.map((b) => b.split(": ")).map(([k, v]) => [k, Number(v)]).filter(([k]) => !axes.some((a) => a.fields[0] === k)));
    return new SweepPlan({ name: "r", description: "", base: baseObj, axes: axes as never, where, columns: null });
  };

  fcTest.prop([specArb], { numRuns: 300 })("every point resolves to resolveConfig(pointInput(i))'s config or error, field order included", (s) => {
    let plan: SweepPlan;
    try {
      plan = planOf(s);
    } catch (err) {
      if (err instanceof SpecError) return; // a filter failing on point 0 (a text num_chips, say): refused before anything runs
      throw err;
    }
    for (let i = 0; i < plan.total; i++) {
      const got = outcome(plan, i);
      const want = reference(plan, i);
      expect(got).toEqual(want);
      if (got !== null && !("message" in got)) expect(Object.keys(got)).toEqual(Object.keys(want!));
    }
  });

  it("takes an input object only for a point failing a field's own check", () => {
    const plan = new SweepPlan({
      name: "n", description: "", base: { num_chips: 8, tensor_parallelism_degree: 8 }, where: [], columns: null,
      axes: [
        { fields: ["phase"], values: [["prefill"], ["decode"]] },
        { fields: ["expert_parallelism_degree"], values: [[1], [3], [8]] },
        { fields: ["expert_load_imbalance_factor"], values: [[1], [1.5], [-1], [Number.NaN]] },
      ],
    });
    const inputs = vi.spyOn(plan, "pointInput");
    expect(plan.resolvePoint(0)).toMatchObject({ phase: "prefill", expert_parallelism_degree: 1, expert_load_imbalance_factor: 1, num_chips: 8 });
    expect(plan.resolvePoint(22)).toMatchObject({ phase: "decode", expert_parallelism_degree: 8, expert_load_imbalance_factor: -1 });
    // A cross-field rule's error is resolveConfig's own, from the same function on an equal config.
    expect(() => plan.resolvePoint(4)).toThrow(/^expert_parallelism_degree = 3: must divide/);
    expect(inputs).not.toHaveBeenCalled();
    expect(() => plan.resolvePoint(3)).toThrow(/^expert_load_imbalance_factor = null: must be a finite number/);
    expect(inputs).toHaveBeenCalledTimes(1);
  });
});
