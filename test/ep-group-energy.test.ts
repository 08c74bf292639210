/**
 * The energy of imbalance across an EP group (beyond NeuSim): the busiest
 * device's MoE-layer energy plus EP - 1 mean devices that idle while they wait.
 */
import { describe, expect, it } from "vitest";
import { fc, test as fcTest } from "@fast-check/vitest";
import { evaluate } from "../src/model/evaluate.js";
import { epGroupEnergyNoPG } from "../src/model/energy/ep-group-energy.js";
import { chipPower } from "../src/model/energy/chip-power.js";

const groupOf = (input: Parameters<typeof evaluate>[0]) => {
  const ev = evaluate(input);
  return epGroupEnergyNoPG(ev.config, ev.ops, ev.imbalance.hot_experts_on_device, ev.imbalance.effective_expert_load_imbalance_factor);
};
const v5pEp8 = { tensor_parallelism_degree: 8, expert_parallelism_degree: 8, global_batch_size: 64 } as const;

describe("anchors (DeepSeek-V3, TPU v5p, tp 8, EP 8, batch 64)", () => {
  it("decode at the worst case f = E/K = 32: the group pays 0.92 % more than a balanced one", () => {
    const g = groupOf({ ...v5pEp8, phase: "decode", expert_load_imbalance_factor: -1 });
    expect(g.imbalance_energy_overhead).toBe(1.0092441387546032);
    expect(g.ep_wait_s).toBe(0.03607296);
  });
  it("prefill at the worst case: 9.65 % more, the mean devices waiting 6.67 s", () => {
    const g = groupOf({ ...v5pEp8, phase: "prefill", expert_load_imbalance_factor: -1 });
    expect(g.imbalance_energy_overhead).toBe(1.0965257360325573);
    expect(g.ep_wait_s).toBe(6.666076279);
  });
  it("the group energy is the busiest device plus 7 mean devices idling at v5p's full static power while they wait", () => {
    const g = groupOf({ ...v5pEp8, phase: "prefill", expert_load_imbalance_factor: 4, num_worst_case_experts: 2 });
    const p = chipPower("tpuv5p");
    // v5p: 8 SAs, 6 VUs (NeuSim's chip file), each static power counted once.
    const idleW = p.static_power_W_per_sa * 8 + p.static_power_W_per_vu * 6 + p.static_power_vmem_W + p.static_power_ici_W
      + (p.static_power_hbm_mc_W + p.static_power_hbm_phy_W) + p.static_power_other_W;
    expect(g.ep_group_energy_J).toBeCloseTo(g.busiest_device_moe_energy_J! + 7 * (g.mean_device_moe_energy_J! + idleW * g.ep_wait_s!), 6);
    expect(g.ep_wait_s!).toBeGreaterThan(0);
  });
  it("is not defined (null) when EP does not divide E: no device holds the mean share", () => {
    const g = groupOf({ tensor_parallelism_degree: 8, expert_parallelism_degree: 12, num_chips: 12, global_batch_size: 64, phase: "decode" });
    expect(g.imbalance_energy_overhead).toBeNull();
    expect(g.ep_group_energy_J).toBeNull();
  });
  it("is not defined for a dense model (no experts to imbalance)", () => {
    expect(groupOf({ model: "llama3-8b", phase: "decode" }).imbalance_energy_overhead).toBeNull();
  });
});

const EP_DIVIDING_256 = [2, 4, 8, 16, 32, 64];
const point = fc.record({
  phase: fc.constantFrom("prefill" as const, "decode" as const),
  ep: fc.constantFrom(...EP_DIVIDING_256),
  W: fc.integer({ min: 1, max: 8 }),
  /**
   * Batches (decode's tokens per step) and prompts in multiples of E/K = 32, so a balanced
   * expert has whole tokens. Below that the model runs every expert on ceil(load) tokens and
   * the "mean" device is costlier than the mean: see the counterexample test below.
   */
  batch: fc.integer({ min: 1, max: 8 }).map((m) => 32 * m),
  seq: fc.integer({ min: 1, max: 64 }).map((m) => 32 * m),
});

describe("properties", () => {
  fcTest.prop([point], { numRuns: 40 })("balanced (f = 1): overhead exactly 1, no waiting", (p) => {
    const g = groupOf({ phase: p.phase, expert_parallelism_degree: p.ep, tensor_parallelism_degree: Math.min(p.ep, 8), num_chips: Math.max(p.ep, 8),
      global_batch_size: p.batch, input_seqlen: p.seq, expert_load_imbalance_factor: 1, num_worst_case_experts: p.W });
    expect(g.imbalance_energy_overhead).toBe(1);
    expect(g.ep_wait_s).toBe(0);
  });

  fcTest.prop([point, fc.double({ min: 1, max: 32, noNaN: true }), fc.double({ min: 1, max: 32, noNaN: true })], { numRuns: 300 })(
    "while every expert of the busiest device has tokens: no negative wait, never below 1, non-decreasing in f", (p, a, b) => {
      const [lo, hi] = a <= b ? [a, b] : [b, a];
      const at = (f: number) => {
        const ev = evaluate({ phase: p.phase, expert_parallelism_degree: p.ep, tensor_parallelism_degree: Math.min(p.ep, 8),
          num_chips: Math.max(p.ep, 8), global_batch_size: p.batch, input_seqlen: p.seq, expert_load_imbalance_factor: f, num_worst_case_experts: p.W });
        const im = ev.imbalance;
        fc.pre(im.active_remaining_experts === im.experts_on_busiest_device - im.hot_experts_on_device);
        return epGroupEnergyNoPG(ev.config, ev.ops, im.hot_experts_on_device, im.effective_expert_load_imbalance_factor);
      };
      const gLo = at(lo), gHi = at(hi);
      expect(gLo.ep_wait_s!).toBeGreaterThanOrEqual(0);
      expect(gLo.imbalance_energy_overhead!).toBeGreaterThanOrEqual(1);
      expect(gHi.imbalance_energy_overhead!).toBeGreaterThanOrEqual(gLo.imbalance_energy_overhead!);
    });

  it("counterexample: when the hot expert leaves some of its device's experts idle, that device is cheaper than a balanced one (overhead < 1)", () => {
    const at = (f: number) => {
      const ev = evaluate({ phase: "decode", tensor_parallelism_degree: 2, expert_parallelism_degree: 2, num_chips: 8, global_batch_size: 32, expert_load_imbalance_factor: f });
      return { g: epGroupEnergyNoPG(ev.config, ev.ops, ev.imbalance.hot_experts_on_device, ev.imbalance.effective_expert_load_imbalance_factor), active: ev.imbalance.active_remaining_experts };
    };
    expect(at(3).active).toBe(127);
    expect(at(3).g.imbalance_energy_overhead!).toBeGreaterThan(1);
    expect(at(32).active).toBe(112);
    expect(at(32).g.imbalance_energy_overhead!).toBeLessThan(0.93);
    expect(at(32).g.ep_wait_s!).toBeLessThan(0);
  });
});
