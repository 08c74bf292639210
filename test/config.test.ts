import { describe, expect, it } from "vitest";
import { fc, test as fcTest } from "@fast-check/vitest";
import { createHash } from "node:crypto";
import { ConfigError, configKey, configKeyText, FIELDS, resolveConfig, type MoeConfig } from "../src/model/config.js";
import { coerceFieldValue } from "../src/sweep-spec/coerce.js";

describe("resolveConfig", () => {
  it("starts from the catalog model and chip with the seed's imbalance defaults (f = -1, W = 1)", () => {
    const c = resolveConfig({});
    expect(c.model).toBe("deepseekv3-671b");
    expect(c.chip).toBe("tpuv5p");
    expect(c.num_routed_experts).toBe(256);
    expect(c.freq_GHz).toBe(1.7);
    expect(c.expert_load_imbalance_factor).toBe(-1);
    expect(c.num_worst_case_experts).toBe(1);
    expect(c.num_chips).toBe(1);
  });

  it("defaults num_chips to max(dp*tp*pp, EP)", () => {
    expect(resolveConfig({ tensor_parallelism_degree: 4, data_parallelism_degree: 2 }).num_chips).toBe(8);
    expect(resolveConfig({ expert_parallelism_degree: 3 }).num_chips).toBe(3);
  });

  const rejects: [Record<string, unknown>, string, RegExp][] = [
    [{ chip: "tpuv9" }, "chip", /one of tpuv2, .*tpuv6p/],
    [{ model: "llama" }, "model", /one of deepseekv3-671b, deepseekv2-236b/],
    [{ phase: "train" }, "phase", /one of prefill, decode/],
    [{ global_batch_size: 0 }, "global_batch_size", /from 1 to 16777216/],
    [{ global_batch_size: 2 ** 24 + 1 }, "global_batch_size", /from 1 to 16777216/],
    [{ input_seqlen: 2 ** 25 }, "input_seqlen", /from 1 to 16777216/],
    [{ num_chips: 2 ** 21 }, "num_chips", /from 1 to 1048576/],
    [{ expert_parallelism_degree: 257, num_chips: 512 }, "expert_parallelism_degree", /<= num_routed_experts = 256/],
    [{ input_seqlen: 1.5 }, "input_seqlen", /integer/],
    [{ expert_load_imbalance_factor: 33 }, "expert_load_imbalance_factor", /\[1, E\/K = 32\]/],
    [{ num_worst_case_experts: 9 }, "num_worst_case_experts", /\[1, K = 8\]/],
    [{ num_chips: 4, tensor_parallelism_degree: 8 }, "num_chips", />= max/],
    [{ tensor_parallelism_degree: 8, expert_parallelism_degree: 3 }, "expert_parallelism_degree", /must divide/],
    [{ not_a_field: 1 }, "not_a_field", /unknown config field/],
  ];
  for (const [input, field, allowed] of rejects) {
    it(`rejects ${JSON.stringify(input)} naming ${field}, its value and what is allowed`, () => {
      let err: unknown;
      try { resolveConfig(input); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).field).toBe(field);
      expect((err as ConfigError).message).toMatch(new RegExp(`^${field} = `));
      expect((err as ConfigError).message).toMatch(allowed);
    });
  }
});

describe("resolveConfig over a sweep's points (one key list)", () => {
  // Values of five given fields, valid and not (a string degree leaves num_chips uncomputed).
  const point = fc.record({
    tensor_parallelism_degree: fc.constantFrom(1, 2, 8, 0, "x"),
    expert_parallelism_degree: fc.constantFrom(1, 8, 3, 300, 1.5),
    expert_load_imbalance_factor: fc.constantFrom(-1, 1, 2.5, 40, "hot"),
    global_batch_size: fc.constantFrom(1, 64, 0, 2 ** 25),
    num_chips: fc.constantFrom(undefined, 8, 64, 0),
  });
  /** Valid, and no value of the generator: after it, every field of the next point is checked again. */
  const RESET = { tensor_parallelism_degree: 4, expert_parallelism_degree: 16, expert_load_imbalance_factor: 3, global_batch_size: 7, num_chips: 1000 };
  const outcome = (input: Record<string, unknown>) => {
    try {
      return configKey(resolveConfig(input));
    } catch (e) {
      return e instanceof ConfigError ? `${e.field}: ${e.message}` : `unexpected: ${String(e)}`;
    }
  };
  it("the first point of a key list is checked in full, like any point after a change", () => {
    // A key list of this test's own, so its first call is the first for it in the process.
    const first = { decode_width: 1, global_batch_size: 3, tensor_parallelism_degree: "x" };
    const firstOutcome = outcome(first);
    expect(outcome({ decode_width: 1, global_batch_size: 3, tensor_parallelism_degree: 2 })).toMatch(/^[0-9a-f]{16}$/);
    expect(firstOutcome).toBe(outcome(first));
  });

  fcTest.prop([fc.array(point, { minLength: 1, maxLength: 12 })], { numRuns: 300 })(
    "checking only the fields that changed since the last point gives each point its outcome alone (same config or the same first error)",
    (points) => {
      const inSequence = points.map((p) => outcome(p));
      const alone = points.map((p) => {
        expect(outcome(RESET)).toMatch(/^[0-9a-f]{16}$/);
        return outcome(p);
      });
      expect(inSequence).toEqual(alone);
    },
  );
});

/** configKey(resolveConfig({})) as moesweep has always written it. */
const DEFAULT_KEY = "bec6f6094a96a2fc";

describe("config_key", () => {
  it("is stable (a fixed config hashes to a fixed key)", () => {
    expect(configKey(resolveConfig({}))).toBe(configKey(resolveConfig({ model: "deepseekv3-671b", chip: "tpuv5p" })));
    expect(configKey(resolveConfig({}))).toMatch(/^[0-9a-f]{16}$/);
  });

  fcTest.prop([
    fc.tuple(fc.oneof(fc.constant(-1), fc.double({ min: 1, max: 32, noNaN: true })), fc.oneof(fc.constant(-1), fc.double({ min: 1, max: 32, noNaN: true }))),
    fc.tuple(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 8 })),
  ])("configs differing only in f or W never share a key", ([f1, f2], [w1, w2]) => {
    fc.pre(f1 !== f2 || w1 !== w2);
    const a = resolveConfig({ expert_load_imbalance_factor: f1, num_worst_case_experts: w1 });
    const b = resolveConfig({ expert_load_imbalance_factor: f2, num_worst_case_experts: w2 });
    expect(configKey(a)).not.toBe(configKey(b));
  });

  it("keeps the published key of the default configuration", () => {
    expect(configKey(resolveConfig({}))).toBe(DEFAULT_KEY);
  });

  // configKey keeps the text's bytes between calls and rewrites only segments that changed
  // or moved: any sequence of configs must hash exactly configKeyText's UTF-8.
  const fieldValue = fc.oneof(
    fc.integer({ min: -1e6, max: 1e12 }),
    fc.double({ noNaN: true }),
    fc.boolean(),
    fc.string({ unit: "binary", maxLength: 40 }),
    fc.string({ unit: "binary", minLength: 1500, maxLength: 3000 }), // more than the buffer's 4 kB as UTF-8
  );
  fcTest.prop([fc.array(fc.array(fc.tuple(fc.nat(FIELDS.length - 1), fieldValue), { maxLength: 4 }), { minLength: 1, maxLength: 40 })])(
    "hashes configKeyText's UTF-8 whatever the previous configs were",
    (changes) => {
      let config: MoeConfig = resolveConfig({});
      for (const change of changes) {
        config = { ...config };
        for (const [field, value] of change) (config as unknown as Record<string, unknown>)[FIELDS[field].name] = value;
        const text = configKeyText(config);
        expect(configKey(config)).toBe(createHash("sha256").update(text, "utf8").digest("hex").slice(0, 16));
      }
    },
  );

  it("every field takes part in the key", () => {
    const base = resolveConfig({});
    const k0 = configKey(base);
    for (const spec of FIELDS) {
      const v = base[spec.name];
      const changed = typeof v === "number" ? v + 1 : typeof v === "boolean" ? !v : `${v}x`;
      expect(configKey({ ...base, [spec.name]: changed }), spec.name).not.toBe(k0);
    }
  });
});

describe("coerceFieldValue", () => {
  it("parses CLI text into typed values", () => {
    expect(coerceFieldValue("expert_load_imbalance_factor", "-1")).toBe(-1);
    expect(coerceFieldValue("use_vu_for_small_matmul", "false")).toBe(false);
    expect(coerceFieldValue("chip", "tpuv6e")).toBe("tpuv6e");
  });
  it("names the field when text does not parse", () => {
    expect(() => coerceFieldValue("input_seqlen", "long")).toThrow(/^input_seqlen = "long": must be an integer/);
    expect(() => coerceFieldValue("nope", "1")).toThrow(/^nope = "1": unknown config field/);
  });
});
