/**
 * The sweep's energy path (EnergySink: numbers-only timing, cached groups'
 * records replayed) against the operator-list path evaluate() gives (which
 * reproduces NeuSim's outputs bit for bit): every energy column the same double,
 * over random points of every catalog model and chip and all power-gating
 * settings, evaluated twice so the second pass replays cached groups.
 */
import { expect, it } from "vitest";
import { energySettingCount } from "../src/model/energy/energy-sink.js";
import { backendFor } from "../src/model/timing/backend.js";
import { fc, test as fcTest } from "@fast-check/vitest";
import { evaluateResolved } from "../src/model/evaluate.js";
import { COMPONENT_ENERGY_COLUMNS, evaluateWithEnergy, ENERGY_COLUMNS } from "../src/model/energy/energy-columns.js";
import { pointEnergy } from "../src/model/energy/point-energy.js";
import { epGroupEnergy } from "../src/model/energy/ep-group-energy.js";
import { energyRecordsOf, moePhaseEnergyOf, phaseEnergyOf } from "../src/model/energy/phase-energy.js";
import { PG_STRATEGIES } from "../src/model/energy/power-gating.js";
import { CHIP_IDS } from "../src/model/catalog/chips.js";
import { MODEL_IDS } from "../src/model/catalog/models.js";
import { resolveConfig } from "../src/model/config.js";

const point = fc.record({
  model: fc.constantFrom(...MODEL_IDS),
  chip: fc.constantFrom(...CHIP_IDS),
  phase: fc.constantFrom("prefill" as const, "decode" as const),
  power_gating_strategy: fc.constantFrom(...PG_STRATEGIES),
  global_batch_size: fc.integer({ min: 1, max: 128 }),
  input_seqlen: fc.integer({ min: 1, max: 70_000 }),
  tensor_parallelism_degree: fc.constantFrom(1, 2, 4, 8),
  expert_parallelism_degree: fc.constantFrom(1, 2, 4, 8, 16),
  expert_load_imbalance_factor: fc.oneof(fc.constant(-1), fc.double({ min: 1, max: 64, noNaN: true })),
  num_worst_case_experts: fc.integer({ min: 1, max: 8 }),
  pipeline_parallelism_degree: fc.constantFrom(1, 1, 2),
});

function resolved(input: Record<string, unknown>) {
  try {
    return resolveConfig({ ...input, num_chips: undefined });
  } catch {
    return null; // an invalid point (e.g. EP > E, W > K): the model rejects it either way
  }
}

fcTest.prop([point], { numRuns: 300 })("every energy column equals the operator-list path's, first and cached evaluation", (p) => {
  const config = resolved(p);
  if (!config) return;
  let ev: ReturnType<typeof evaluateResolved>;
  try {
    ev = evaluateResolved(config);
  } catch (err) {
    // A point the model rejects after resolving (e.g. the parallelism's ICI mapping): rejected the same way.
    expect(() => evaluateWithEnergy(config)).toThrow((err as Error).message);
    return;
  }
  const records = energyRecordsOf(ev.ops, ev.config);
  const im = ev.imbalance;
  const expected: Record<string, unknown> = {
    ...pointEnergy({ config, energy: phaseEnergyOf(records, im.hot_experts_on_device), stageNs: Number(ev.outputs.stage_time_ns), pipelineNs: Number(ev.outputs.pipeline_ici_ns) }),
    ...epGroupEnergy(config, moePhaseEnergyOf(records, im.hot_experts_on_device), im.effective_expert_load_imbalance_factor),
  };
  for (let pass = 0; pass < 2; pass++) {
    const got = evaluateWithEnergy(config);
    expect(got.outputs).toEqual(ev.outputs);
    for (const c of ENERGY_COLUMNS) expect(got.energy[c], `${c} pass ${pass}`).toBe(expected[c]);
  }
});

it("keeps the energy caches of at most four settings per chip: a sweep over many ICI bandwidths stays within a worker's memory", () => {
  const base = { chip: "tpuv5p", num_chips: 8, tensor_parallelism_degree: 8, expert_parallelism_degree: 8, global_batch_size: 2 } as const;
  const first = resolveConfig({ ...base, ici_bw_GBps: 51 });
  const expected = evaluateWithEnergy(first, true);
  for (let v = 0; v < 10; v++) {
    evaluateWithEnergy(resolveConfig({ ...base, ici_bw_GBps: 60 + v }), true);
    expect(energySettingCount(backendFor(first))).toBeLessThanOrEqual(4);
  }
  expect(energySettingCount(backendFor(first))).toBe(4);
  expect(evaluateWithEnergy(first, true)).toEqual(expected); // its caches were dropped and made anew
});

it("sums the per-component energies only when asked: every other energy column is the same double, the components null", () => {
  for (const input of [
    { global_batch_size: 3, input_seqlen: 1024, phase: "prefill", expert_parallelism_degree: 8, num_chips: 8, tensor_parallelism_degree: 8 },
    { global_batch_size: 16, phase: "decode", expert_parallelism_degree: 4, num_chips: 8, tensor_parallelism_degree: 8, num_worst_case_experts: 3, power_gating_strategy: "HW" },
  ] as const) {
    const config = resolveConfig(input);
    const all = evaluateWithEnergy(config, true, true).energy as unknown as Record<string, unknown>;
    const lean = evaluateWithEnergy(config, true, false).energy as unknown as Record<string, unknown>;
    for (const column of ENERGY_COLUMNS) {
      if (COMPONENT_ENERGY_COLUMNS.includes(column)) {
        expect(lean[column], column).toBeNull();
        expect(typeof all[column], column).toBe("number");
      } else {
        expect(lean[column], column).toBe(all[column]);
      }
    }
  }
});
