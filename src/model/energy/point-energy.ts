/**
 * One design point's energy and carbon as NeuSim reports them under the
 * config's power-gating setting (DVFS off): the per-chip phase energy, the system's lifetime
 * carbon, and NeuSim's energy per token (1 / avg_power_efficiency_tkn_per_joule,
 * so it includes PUE and the idle share of the duty cycle). Pure.
 */
import type { MoeConfig } from "../config.js";
import type { PhaseEnergy } from "./phase-energy.js";
import { chipPower } from "./chip-power.js";
import { carbonOf, throughputTokensPerSec } from "./carbon.js";
import { ENERGY_COMPONENTS, type EnergyComponent } from "./op-energy.js";

export const POINT_ENERGY_COLUMNS = [
  "energy_per_chip_J", "static_energy_per_chip_J", "dynamic_energy_per_chip_J",
  ...ENERGY_COMPONENTS.map((c) => `${c}_energy_per_chip_J` as const),
  "avg_power_W", "peak_power_W", "energy_exe_time_ns", "pg_slowdown", "throughput_tokens_per_sec", "energy_per_token_J", "system_avg_power_W",
  "operational_carbon_kgCO2e", "embodied_carbon_kgCO2e", "total_carbon_kgCO2e",
] as const;
export type PointEnergy = Record<(typeof POINT_ENERGY_COLUMNS)[number], number>;

export interface PhaseOps {
  config: MoeConfig;
  /** The phase's energy on one chip (EnergySink's sums, or phaseEnergy of an operator list). */
  energy: PhaseEnergy;
  /** Performance model's stage and pipeline-transfer times (ns), for the throughput. */
  stageNs: number;
  pipelineNs: number;
}

/** Component columns when the sums left them out (no component column was asked for): empty cells. */
const NO_COMPONENTS = { sa: null, vu: null, sram: null, hbm: null, ici: null, other: null } as unknown as Record<EnergyComponent, number>;

/** At the config's power-gating and carbon settings. */
export function pointEnergy(p: PhaseOps): PointEnergy {
  const e = p.energy;
  const throughput = throughputTokensPerSec(p.config, p.stageNs, p.pipelineNs);
  // Wake-up overheads slow the phase: the carbon's goodput is the throughput over this.
  const slowdown = e.slowdown;
  const carbon = carbonOf(p.config, chipPower(p.config.chip), e, throughput, slowdown, p.config.power_gating_strategy);
  const c = e.component_J ?? NO_COMPONENTS;
  return {
    energy_per_chip_J: e.total_energy_J, static_energy_per_chip_J: e.static_energy_J, dynamic_energy_per_chip_J: e.dynamic_energy_J,
    sa_energy_per_chip_J: c.sa, vu_energy_per_chip_J: c.vu, sram_energy_per_chip_J: c.sram, hbm_energy_per_chip_J: c.hbm,
    ici_energy_per_chip_J: c.ici, other_energy_per_chip_J: c.other,
    avg_power_W: e.avg_power_W, peak_power_W: e.peak_power_W, energy_exe_time_ns: e.exe_time_ns, pg_slowdown: slowdown,
    throughput_tokens_per_sec: throughput,
    energy_per_token_J: 1 / carbon.avg_power_efficiency_tkn_per_joule,
    system_avg_power_W: carbon.avg_power_W,
    operational_carbon_kgCO2e: carbon.operational_carbon_kgCO2e, embodied_carbon_kgCO2e: carbon.embodied_carbon_kgCO2e,
    total_carbon_kgCO2e: carbon.avg_total_carbon_kgCO2e,
  };
}
