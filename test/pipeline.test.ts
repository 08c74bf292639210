/**
 * Pipeline parallelism and NeuSim's run rules: invariants (fast-check) and the
 * verdict for each rule NeuSim's run_sim.py applies.
 */
import { describe, expect, it } from "vitest";
import { test as fcTest, fc } from "@fast-check/vitest";
import { evaluate } from "../src/model/evaluate.js";
import type { ConfigInput } from "../src/model/config.js";
import { CHIP_IDS } from "../src/model/catalog/chips.js";
import { MODEL_IDS } from "../src/model/catalog/models.js";
import { evaluateOrNull } from "./helpers/evaluate.js";

/** Random configurations the model accepts (or rejects with a ConfigError). */
const anyPoint = fc.record({
  model: fc.constantFrom(...MODEL_IDS),
  chip: fc.constantFrom(...CHIP_IDS),
  phase: fc.constantFrom("prefill", "decode"),
  data_parallelism_degree: fc.constantFrom(1, 2, 4),
  tensor_parallelism_degree: fc.constantFrom(1, 2, 4, 8),
  pipeline_parallelism_degree: fc.constantFrom(1, 2, 3, 4, 8, 64),
  expert_parallelism_degree: fc.constantFrom(1, 2, 4, 8),
  global_batch_size: fc.integer({ min: 1, max: 512 }),
  input_seqlen: fc.integer({ min: 1, max: 70_000 }),
  output_seqlen: fc.integer({ min: 1, max: 4096 }),
  expert_load_imbalance_factor: fc.constantFrom(-1, 1, 2, 4),
  num_worst_case_experts: fc.constantFrom(1, 2, 6),
});


describe("pipeline parallelism (fast-check)", () => {
  fcTest.prop([anyPoint], { numRuns: 300 })("phase time = pp x (stage time + pipeline ICI time)", (p) => {
    const ev = evaluateOrNull(p);
    if (!ev) return;
    const o = ev.outputs;
    expect(o.phase_time_ns).toBe(p.pipeline_parallelism_degree * ((o.stage_time_ns as number) + (o.pipeline_ici_ns as number)));
    if (p.pipeline_parallelism_degree === 1) {
      expect(o.pipeline_ici_ns).toBe(0);
      expect(o.phase_time_ns).toBe(o.stage_time_ns);
      expect(ev.ops.some((op) => op.block === "pipeline_ici")).toBe(false);
    } else {
      expect(ev.ops.filter((op) => op.block === "pipeline_ici").map((op) => op.opcode)).toEqual(["InterChipXferInput", "InterChipXferOutput"]);
    }
  });

  fcTest.prop([anyPoint], { numRuns: 300 })("the MoE blocks of a stage see the stage's microbatch: ceil(ceil(batch / pp) / dp) requests", (p) => {
    const ev = evaluateOrNull(p);
    if (!ev) return;
    const requests = Math.ceil(Math.ceil(p.global_batch_size / p.pipeline_parallelism_degree) / p.data_parallelism_degree);
    const tokens = requests * (p.phase === "decode" ? 1 : p.input_seqlen);
    expect(ev.imbalance.tokens_per_dispatch).toBe(tokens);
  });

  it("pp = 2 halves the layers of a stage and the microbatch; attention keeps NeuSim's all-layers count", () => {
    const base = { model: "deepseekv2-236b", chip: "tpuv5p", phase: "prefill", global_batch_size: 4, input_seqlen: 512, tensor_parallelism_degree: 4 } as const;
    const one = evaluate(base);
    const two = evaluate({ ...base, pipeline_parallelism_degree: 2 });
    const count = (ev: typeof one, desc: string) => ev.ops.find((op) => op.description.startsWith(desc))!.count;
    expect(count(one, "FFN_MoE_gate-scores")).toBe(60);
    expect(count(two, "FFN_MoE_gate-scores")).toBe(30);
    expect(count(two, "Fwd-Attention-encoder-Input_rmsnorm")).toBe(30);
    expect(count(two, "Fwd-Attention-encoder-Attention-serving-prefill-q_wq_a_linear")).toBe(60);
    expect(two.imbalance.tokens_per_dispatch).toBe(one.imbalance.tokens_per_dispatch / 2);
  });
});

describe("NeuSim's run rules (neusim_valid, neusim_reason)", () => {
  const v3 = { model: "deepseekv3-671b", chip: "tpuv5p", global_batch_size: 64, input_seqlen: 1024, output_seqlen: 64, num_chips: 64, tensor_parallelism_degree: 8, expert_parallelism_degree: 8, data_parallelism_degree: 8 } as const;
  const cases: [string, ConfigInput, string][] = [
    ["a valid configuration", v3, ""],
    ["pp > num_layers", { ...v3, data_parallelism_degree: 1, pipeline_parallelism_degree: 64, num_chips: 512 },
      "Skipping deepseekv3-671b v5p dp1-tp8-pp64-dpdcn1-tpdcn1-ppdcn1-bs64 since total PP=64 > number of layers = 61"],
    ["three parallelisms on a TPU v3 (NeuSim checks v2/v3 only)", { ...v3, chip: "tpuv3", data_parallelism_degree: 2, pipeline_parallelism_degree: 2, num_chips: 32, expert_parallelism_degree: 16 },
      "Skipping deepseekv3-671b v3 dp2-tp8-pp2-dpdcn1-tpdcn1-ppdcn1-bs64 since TPUv2 and TPUv3 only support 2D torus"],
    ["a pod over the chip's maximum", { ...v3, chip: "tpuv5e", data_parallelism_degree: 64, num_chips: 512 },
      "Skipping deepseekv3-671b v5e dp64-tp8-pp1-dpdcn1-tpdcn1-ppdcn1-bs64 since TPUv2/v5e/v6e Pod has a max of 256 chips"],
    ["dp x pp > batch", { ...v3, global_batch_size: 4 },
      "Skipping deepseekv3-671b v5p dp8-tp8-pp1-dpdcn1-tpdcn1-ppdcn1-bs4 since dp * dp_dcn * pp * pp_dcn > global batch size"],
    ["footprint over 1.5x HBM", { ...v3, data_parallelism_degree: 1, tensor_parallelism_degree: 1, expert_parallelism_degree: 1, num_chips: 1 },
      "Skipping deepseekv3-671b v5p dp1-tp1-pp1-dpdcn1-tpdcn1-ppdcn1-bs64 since it is OOM. Mem footprint = "],
    ["EP > dp x tp (allowed here, a deliberate difference)", { ...v3, data_parallelism_degree: 1, expert_parallelism_degree: 16 },
      "Skipping deepseekv3-671b v5p dp1-tp8-pp1-ep16-dpdcn1-tpdcn1-ppdcn1-epdcn1-bs64 since ep > dp * tp"],
  ];
  for (const [what, config, reason] of cases) {
    it(`${what}: ${reason ? "flagged with NeuSim's reason" : "valid"}`, () => {
      const o = evaluate(config).outputs;
      expect(o.neusim_valid).toBe(reason === "");
      if (reason.endsWith("= ")) expect(o.neusim_reason).toMatch(new RegExp(`^${reason.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}[\\d.]+ GB, HBM size = 95 GB, oom_factor = 1.5$`));
      else expect(o.neusim_reason).toBe(reason);
    });
  }
});
