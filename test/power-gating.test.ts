/**
 * Power gating (NeuSim's settings; the exact values are in energy.test.ts and
 * carbon.test.ts): what gating may and may not change, over random points of
 * every catalog chip, several models and all 8 settings.
 */
import { describe, expect, it } from "vitest";
import { fc, test as fcTest } from "@fast-check/vitest";
import { evaluate, type Evaluation } from "../src/model/evaluate.js";
import { opEnergyOf } from "../src/model/energy/op-energy.js";
import { energyRecordsOf, moePhaseEnergyOf, phaseEnergy } from "../src/model/energy/phase-energy.js";
import { epGroupEnergy } from "../src/model/energy/ep-group-energy.js";
import { PG_SETTINGS, PG_STRATEGIES } from "../src/model/energy/power-gating.js";
import { CHIP_IDS } from "../src/model/catalog/chips.js";
import { evaluateOrNull } from "./helpers/evaluate.js";

const point = fc.record({
  chip: fc.constantFrom(...CHIP_IDS),
  model: fc.constantFrom("deepseekv3-671b", "qwen3-235b-a22b", "mixtral-8x7b", "llama3-8b"),
  phase: fc.constantFrom("prefill" as const, "decode" as const),
  pg: fc.constantFrom(...PG_STRATEGIES),
  batch: fc.integer({ min: 1, max: 256 }),
  seq: fc.integer({ min: 1, max: 8192 }),
  ep: fc.constantFrom(1, 2, 4, 8, 16, 32),
  f: fc.double({ min: 1, max: 32, noNaN: true }),
});

/** The point under its gating setting and without gating (null when the point is invalid). */
function pair(p: { chip: string; model: string; phase: "prefill" | "decode"; pg: string; batch: number; seq: number; ep: number; f: number }): [Evaluation, Evaluation] | null {
  const base = {
    model: p.model, chip: p.chip, phase: p.phase, global_batch_size: p.batch, input_seqlen: p.seq, expert_parallelism_degree: p.ep,
    num_chips: Math.max(p.ep, 8), tensor_parallelism_degree: 8, expert_load_imbalance_factor: p.f,
  };
  const gated = evaluateOrNull({ ...base, power_gating_strategy: p.pg });
  const none = evaluateOrNull(base);
  return gated && none ? [gated, none] : null;
}

const COMPONENTS = ["sa", "vu", "sram", "hbm", "ici"] as const;

describe("per operator", () => {
  fcTest.prop([point], { numRuns: 150 })(
    "gating leaves dynamic and 'other' energy alone, never shortens an operator, and each component's static energy stays within its ungated power over the operator's gated time",
    (p) => {
      const evs = pair(p);
      if (!evs) return;
      const [gated, none] = evs;
      const vmem = PG_SETTINGS[gated.config.power_gating_strategy].vmem;
      const f = gated.config.freq_GHz;
      for (const op of gated.ops) {
        const g = opEnergyOf(op, gated.config), z = opEnergyOf(op, none.config);
        const where = `${op.description} ${p.pg} ${p.chip}`;
        expect(g.dynamic_J, where).toEqual(z.dynamic_J);
        expect(g.static_J.other, where).toBe(z.static_J.other);
        expect(g.ungatedExecutionNs, where).toBe(z.executionNs);
        expect(g.executionNs, where).toBeGreaterThanOrEqual(z.executionNs);
        const T = z.executionNs;
        for (const c of COMPONENTS) {
          // Static power x time, where the time is the gated operator's; VMEM also pays its drowsy-mode wake-ups (hardware policy).
          const drowsy = c === "sram" && vmem?.policy === "HW" ? Math.ceil((T / (vmem.drowsyPeriod / f)) * (vmem.delay / f)) : 0;
          const bound = (z.static_J[c] / T) * Math.max(g.executionNs, T + drowsy);
          // The bound is reached by a different order of operations: 1e-12 covers its rounding, nothing else.
          expect(g.static_J[c], `${where} ${c}`).toBeLessThanOrEqual(bound * (1 + 1e-12));
        }
        if (p.pg === "NoPG" || p.pg === "disabled") expect(g).toEqual(z);
      }
    },
  );
});

describe("per phase", () => {
  fcTest.prop([point, fc.integer({ min: 1, max: 40 })], { numRuns: 60 })("energy is additive over operators (any split of the list)", (p, cut) => {
    const evs = pair(p);
    if (!evs) return;
    const [ev] = evs;
    const hot = ev.imbalance.hot_experts_on_device;
    // Split outside the hot block, which the phase sum expands into per-expert rows.
    let i = Math.min(cut, ev.ops.length - 1);
    while (i > 0 && ev.ops[i].block === "hot_experts") i--;
    const all = phaseEnergy(ev.ops, ev.config, hot), a = phaseEnergy(ev.ops.slice(0, i), ev.config, hot), b = phaseEnergy(ev.ops.slice(i), ev.config, hot);
    expect(a.total_energy_J + b.total_energy_J).toBeCloseTo(all.total_energy_J, 9);
    expect(a.exe_time_ns + b.exe_time_ns).toBe(all.exe_time_ns);
  });

  fcTest.prop([point], { numRuns: 60 })("slowdown >= 1, exactly 1 without gating (NoPG, disabled)", (p) => {
    const evs = pair(p);
    if (!evs) return;
    const e = phaseEnergy(evs[0].ops, evs[0].config, evs[0].imbalance.hot_experts_on_device);
    expect(e.slowdown).toBeGreaterThanOrEqual(1);
    if (p.pg === "NoPG" || p.pg === "disabled") expect(e.slowdown).toBe(1);
  });
});

describe("the EP group's energy of imbalance under gating", () => {
  const group = (ev: Evaluation) => epGroupEnergy(ev.config, moePhaseEnergyOf(energyRecordsOf(ev.ops, ev.config), ev.imbalance.hot_experts_on_device), ev.imbalance.effective_expert_load_imbalance_factor);

  fcTest.prop([point], { numRuns: 80 })("the group's energy is never above its energy without gating", (p) => {
    const evs = pair(p);
    if (!evs) return;
    const [g, z] = [group(evs[0]), group(evs[1])];
    if (g.ep_group_energy_J === null) return;
    expect(g.ep_group_energy_J).toBeLessThanOrEqual(z.ep_group_energy_J!);
  });

  it("but the overhead ratio can rise: gating cuts the balanced group's energy more than the imbalanced one's (Qwen3-235B, v6e, prefill, EP 32, f = 5, Full)", () => {
    const base = { model: "qwen3-235b-a22b", chip: "tpuv6e", phase: "prefill", global_batch_size: 2, input_seqlen: 2046, expert_parallelism_degree: 32, num_chips: 32, tensor_parallelism_degree: 8, expert_load_imbalance_factor: 5 } as const;
    const full = group(evaluate({ ...base, power_gating_strategy: "Full" })), none = group(evaluate(base));
    expect(full.ep_group_energy_J!).toBeLessThan(none.ep_group_energy_J!);
    expect(full.imbalance_energy_overhead!).toBeGreaterThan(none.imbalance_energy_overhead!);
  });

  it("waiting chips pay NeuSim's gated idle power: 8.97 % of HBM static power plus 'other'", () => {
    const base = { tensor_parallelism_degree: 8, expert_parallelism_degree: 8, global_batch_size: 64, phase: "prefill", expert_load_imbalance_factor: -1 } as const;
    const g = group(evaluate({ ...base, power_gating_strategy: "disabled" })), z = group(evaluate(base));
    // disabled = NoPG's energies, only the idle power differs.
    expect(g.busiest_device_moe_energy_J).toBe(z.busiest_device_moe_energy_J);
    expect(g.ep_wait_s).toBe(z.ep_wait_s);
    const idle = (x: typeof g) => (x.ep_group_energy_J! - x.busiest_device_moe_energy_J! - 7 * x.mean_device_moe_energy_J!) / (7 * x.ep_wait_s!);
    expect(idle(g)).toBeCloseTo((10.264041296 + 15.396061944) * 0.0897 + 44.82811018, 6);
    expect(idle(z)).toBeCloseTo(1.35868996 * 8 + 0.475076728 * 6 + 24.21353615 + 6.114104803 + 10.264041296 + 15.396061944 + 44.82811018, 6);
  });
});
