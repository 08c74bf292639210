/**
 * A sweep point's energy outputs: NeuSim's energy and carbon (at the point's
 * power_gating_strategy and carbon fields) and the EP group's energy of imbalance. The energy model is per
 * operator (EnergySink sums each one), so a sweep computes them only when its `columns:` asks for one. Pure.
 */
import { evaluatePhaseEnergy, type Outputs } from "../evaluate.js";
import type { MoeConfig } from "../config.js";
import { epGroupEnergy, NO_EP_GROUP, type EpGroupEnergy } from "./ep-group-energy.js";
import { pointEnergy, POINT_ENERGY_COLUMNS, type PointEnergy } from "./point-energy.js";

export const EP_GROUP_COLUMNS = [
  "busiest_device_moe_energy_J", "mean_device_moe_energy_J", "ep_wait_s", "busiest_device_wait_s", "ep_group_energy_J", "imbalance_energy_overhead",
] as const satisfies readonly (keyof EpGroupEnergy)[];

export const ENERGY_COLUMNS = [...POINT_ENERGY_COLUMNS, ...EP_GROUP_COLUMNS] as const;
export type EnergyColumn = (typeof ENERGY_COLUMNS)[number];
export type EnergyOutputs = PointEnergy & EpGroupEnergy;

/** [type, unit, meaning] of each energy column, for the data dictionary. */
export const ENERGY_DOCS: Record<EnergyColumn, ["double", string, string]> = {
  energy_per_chip_J: ["double", "J", "NeuSim: one chip's energy for the phase (total_energy_J) under power_gating_strategy, static + dynamic"],
  static_energy_per_chip_J: ["double", "J", "its static part"],
  dynamic_energy_per_chip_J: ["double", "J", "its dynamic part"],
  sa_energy_per_chip_J: ["double", "J", "its systolic arrays' share (static + dynamic)"],
  vu_energy_per_chip_J: ["double", "J", "its vector units' share"],
  sram_energy_per_chip_J: ["double", "J", "its on-chip memory's share"],
  hbm_energy_per_chip_J: ["double", "J", "its HBM's share"],
  ici_energy_per_chip_J: ["double", "J", "its ICI links' share"],
  other_energy_per_chip_J: ["double", "J", "the rest of the chip's share"],
  avg_power_W: ["double", "W", "one chip's average power over the phase (energy over energy_exe_time_ns)"],
  peak_power_W: ["double", "W", "one chip's power in its most power-hungry operator"],
  energy_exe_time_ns: ["double", "ns", "the energy model's phase time (one pipeline stage), wake-up overheads included"],
  pg_slowdown: ["double", "", "energy_exe_time_ns over the same without power gating (1 for NoPG and disabled); carbon divides the throughput by it"],
  throughput_tokens_per_sec: ["double", "tokens/s", "the system's throughput (NeuSim run_sim)"],
  energy_per_token_J: ["double", "J/token", "NeuSim's 1 / avg_power_efficiency_tkn_per_joule: system average power x PUE over useful tokens (idle share and PUE included)"],
  system_avg_power_W: ["double", "W", "the whole system's average power over its life: idle at idle power for 1 - utilization_factor, active for the rest (NeuSim carbon avg_power_W; moesweep slo's optimal_energy_eff_watt)"],
  operational_carbon_kgCO2e: ["double", "kgCO2e", "the system's grid carbon over lifetime_years (carbon_intensity_kgCO2_per_kWh, utilization_factor, PUE)"],
  embodied_carbon_kgCO2e: ["double", "kgCO2e", "the chips' manufacturing carbon"],
  total_carbon_kgCO2e: ["double", "kgCO2e", "operational + embodied"],
  busiest_device_moe_energy_J: ["double", "J", "the busiest device's energy over the phase's MoE-layer operators (null: EP does not divide E, or a dense model)"],
  mean_device_moe_energy_J: ["double", "J", "the same for a mean device (the point at f = 1, no EPLB)"],
  ep_wait_s: ["double", "s", "how long each mean device waits for the busiest one (0 if it is the slower)"],
  busiest_device_wait_s: ["double", "s", "how long the busiest device waits for the mean ones (0 unless they are slower)"],
  ep_group_energy_J: ["double", "J", "the EP group's MoE-layer energy, waits paid at NeuSim's idle power (NoPG: full static power; gated settings: 8.97 % of HBM static + other)"],
  imbalance_energy_overhead: ["double", "", "ep_group_energy_J over a balanced group's (EP x the mean device's); 1 when balanced"],
};

/** One object literal with every energy column in order: one shape for every point (spreading or adding properties is several times slower). */
const assemble = new Function("p", "g",
  `return { ${POINT_ENERGY_COLUMNS.map((c) => `${c}: p.${c}`).join(", ")}, ${EP_GROUP_COLUMNS.map((c) => `${c}: g.${c}`).join(", ")} };`,
) as (p: PointEnergy, g: EpGroupEnergy) => EnergyOutputs;

/** The per-component energy columns: summed only when one of them is asked for. */
export const COMPONENT_ENERGY_COLUMNS: readonly EnergyColumn[] = ENERGY_COLUMNS.filter((c) => /^(sa|vu|sram|hbm|ici|other)_energy_per_chip_J$/.test(c));

/**
 * A point's outputs and energy outputs (sweeps and `eval --energy`), at its power-gating and carbon
 * settings. `withGroup` false leaves the EP group's columns null (they cost a balanced evaluation);
 * `withComponents` false leaves the per-component columns null (six more sums per operator).
 */
export function evaluateWithEnergy(config: MoeConfig, withGroup = true, withComponents = true): { outputs: Outputs; energy: EnergyOutputs } {
  const { outputs, imbalance: im, energy: phase, moe } = evaluatePhaseEnergy(config, withGroup, withComponents);
  const point = pointEnergy({ config, energy: phase, stageNs: Number(outputs.stage_time_ns), pipelineNs: Number(outputs.pipeline_ici_ns) });
  const g = withGroup ? epGroupEnergy(config, moe!, im.effective_expert_load_imbalance_factor) : NO_EP_GROUP;
  return { outputs, energy: assemble(point, g) };
}

