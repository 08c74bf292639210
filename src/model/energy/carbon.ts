/**
 * NeuSim's system power, lifetime energy and carbon (carbon_analysis_main /
 * energy_carbon_analysis_lib) for one phase of a configuration, and the
 * performance simulation's throughput it is normalised by. Every operation in
 * NeuSim's order, so the doubles match. Pure.
 */
import type { MoeConfig } from "../config.js";
import type { ChipPower } from "./chip-power.js";
import type { EnergyComponent } from "./op-energy.js";
import type { PhaseEnergy } from "./phase-energy.js";

/** run_sim's throughput of the whole system (tokens/s) from the phase's stage and pipeline-transfer times. */
export function throughputTokensPerSec(c: MoeConfig, stageNs: number, pipelineNs: number): number {
  const chip = Math.max(stageNs, pipelineNs);
  const mb = Math.ceil(c.global_batch_size / c.pipeline_parallelism_degree);
  return c.phase === "prefill" ? (mb * c.input_seqlen * 1e9) / Math.ceil(chip) : (mb * 1e9) / Math.ceil(chip / c.output_seqlen);
}

/** A chip's idle power: its static power, counted once per SA and VU (unlike the active model). */
export function idlePowerW(c: MoeConfig, p: ChipPower): number {
  return p.static_power_W_per_sa * c.num_sa + p.static_power_W_per_vu * c.num_vu + p.static_power_vmem_W + p.static_power_ici_W
    + (p.static_power_hbm_mc_W + p.static_power_hbm_phy_W) + p.static_power_other_W;
}

/**
 * NeuSim's idle power of one chip in the carbon model: its full static power
 * without power gating ("NoPG"); under any other setting name (even
 * "disabled") a gated chip, 8.97 % of HBM static power plus "other".
 */
export function gatedIdlePowerW(c: MoeConfig, p: ChipPower, pgStrategy: string): number {
  return pgStrategy !== "NoPG" ? (p.static_power_hbm_mc_W + p.static_power_hbm_phy_W) * 0.0897 + p.static_power_other_W : idlePowerW(c, p);
}

const ORDER: readonly EnergyComponent[] = ["sa", "vu", "sram", "ici", "hbm", "other"];

export interface Carbon {
  idle_power_W: number;
  avg_active_power_W: number;
  avg_power_W: number;
  peak_power_W: number;
  avg_total_energy_consumption_kWh: number;
  avg_idle_energy_consumption_kWh: number;
  avg_active_energy_consumption_kWh: number;
  avg_static_energy_consumption_kWh: number;
  avg_dynamic_energy_consumption_kWh: number;
  avg_total_carbon_kgCO2e: number;
  embodied_carbon_kgCO2e: number;
  operational_carbon_kgCO2e: number;
  avg_total_carbon_efficiency_tkn_per_kgCO2e: number;
  avg_power_efficiency_tkn_per_joule: number;
  avg_embodied_carbon_percentage: number;
}

/**
 * The carbon settings are the config's (carbon_intensity_kgCO2_per_kWh, utilization_factor u,
 * lifetime_years, PUE). `pgStrategy`: NeuSim's power-gating setting name (gatedIdlePowerW).
 */
export function carbonOf(c: MoeConfig, p: ChipPower, e: PhaseEnergy, throughput: number, slowdown: number, pgStrategy: string): Carbon {
  const N = c.num_chips, u = c.utilization_factor;
  const idleRatio = 1 - u;
  const idleW = gatedIdlePowerW(c, p, pgStrategy) * N;
  const actW = e.avg_power_W * N;
  const avgW = idleRatio * idleW + u * actW;
  const goodput = throughput / slowdown;
  const L = c.lifetime_years;
  const kWh = (P: number, years: number) => (P / 1000) * (years * 365 * 24) * c.PUE;
  const Ea = kWh(actW, L * u);
  // The static/dynamic split of the active energy needs the phase's detail (NaN without it: no column uses it).
  let staticKWh = NaN, dynamicKWh = NaN;
  if (e.detail) {
    const d = e.detail;
    staticKWh = 0;
    dynamicKWh = 0;
    for (const comp of ORDER) staticKWh += Ea * (d.static_component_J[comp] / e.total_energy_J);
    for (const comp of ORDER) dynamicKWh += Ea * (d.dynamic_component_J[comp] / e.total_energy_J);
  }
  const embodied = p.embodied_carbon_kgCO2 * N;
  const total = kWh(avgW, L);
  const C = total * c.carbon_intensity_kgCO2_per_kWh + embodied;
  return {
    idle_power_W: idleW, avg_active_power_W: actW, avg_power_W: avgW, peak_power_W: e.peak_power_W * N,
    avg_total_energy_consumption_kWh: total, avg_idle_energy_consumption_kWh: kWh(idleW, L * idleRatio), avg_active_energy_consumption_kWh: Ea,
    avg_static_energy_consumption_kWh: staticKWh, avg_dynamic_energy_consumption_kWh: dynamicKWh,
    avg_total_carbon_kgCO2e: C, embodied_carbon_kgCO2e: embodied, operational_carbon_kgCO2e: total * c.carbon_intensity_kgCO2_per_kWh,
    avg_total_carbon_efficiency_tkn_per_kgCO2e: 1 / (C / (goodput * u * (L * 365 * 24 * 3600))),
    avg_power_efficiency_tkn_per_joule: (goodput * u) / (c.PUE * avgW),
    avg_embodied_carbon_percentage: embodied / C,
  };
}
