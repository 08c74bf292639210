/**
 * NeuSim's lifetime energy and carbon (carbon_analysis_main) for the
 * reference phases of test/fixtures/neusim-power/totals_power.csv under all 8
 * power-gating settings: every
 * number, lifetimes 1 and 3 years, with and without embodied carbon, the same
 * double. The run scripts' settings: CI 0.0624 kgCO2e/kWh, u 0.6, PUE 1.1.
 */
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { phaseEnergy } from "../src/model/energy/phase-energy.js";
import { chipPower } from "../src/model/energy/chip-power.js";
import { carbonOf, idlePowerW, throughputTokensPerSec } from "../src/model/energy/carbon.js";
import { pointEnergy } from "../src/model/energy/point-energy.js";
import { neusimPowerReferencePhase, powerRowConfig, readCsv } from "./helpers/neusim-reference.js";

const totals = readCsv(join(import.meta.dirname, "fixtures", "neusim-power", "totals_power.csv")).filter((r) => r.set === "reference");

/** NeuSim's reference phase (helpers), its energy and its performance times. */
function phaseOf(r: Record<string, string>) {
  const { config, ops, hotExperts } = neusimPowerReferencePhase({ ...powerRowConfig(r), power_gating_strategy: r.pg_strategy });
  let stageNs = 0, pipelineNs = 0;
  for (const op of ops) {
    if (op.block === "pipeline_ici") pipelineNs += op.timing.execution_time_ns * op.count;
    else stageNs += op.timing.execution_time_ns * op.count;
  }
  return { config, ops, hotExperts, stageNs, pipelineNs, energy: phaseEnergy(ops, config, hotExperts) };
}

describe("NeuSim carbon, the 15 reference configurations x 2 phases x 8 power-gating settings", () => {
  it("has 240 rows", () => expect(totals).toHaveLength(240));
  it.each(totals)("$config_id $phase $pg_strategy", (r) => {
    const { config, energy, stageNs, pipelineNs } = phaseOf(r);
    const throughput = throughputTokensPerSec(config, stageNs, pipelineNs);
    expect(throughput, "throughput").toBe(Number(r["run_sim.throughput_tokens_per_sec"]));
    const power = chipPower(config.chip);
    if (r.pg_strategy === "NoPG") expect(idlePowerW(config, power) * config.num_chips, "idle W").toBe(Number(r["carbon.idle_power_W"]));
    for (const [prefix, embodied] of [["carbon", power.embodied_carbon_kgCO2], ["carbon_zero_embodied", 0]] as const) {
      for (const years of [1, 3]) {
        const settings = { carbon_intensity_kgCO2_per_kWh: 0.0624, utilization_factor: 0.6, lifetime_years: years, PUE: 1.1 };
        const got = carbonOf({ ...config, ...settings }, { ...power, embodied_carbon_kgCO2: embodied }, energy, throughput, energy.slowdown, r.pg_strategy);
        const col = (name: string) => Number(r[`${prefix}.lt${years}.${name}`]);
        for (const name of ["avg_total_carbon_efficiency_tkn_per_kgCO2e", "avg_total_energy_consumption_kWh", "avg_idle_energy_consumption_kWh",
          "avg_active_energy_consumption_kWh", "avg_static_energy_consumption_kWh", "avg_dynamic_energy_consumption_kWh",
          "avg_power_efficiency_tkn_per_joule", "avg_embodied_carbon_percentage", "avg_total_carbon_kgCO2e", "embodied_carbon_kgCO2e"] as const) {
          expect(got[name], `${prefix} lt${years} ${name}`).toBe(col(name));
        }
        if (prefix === "carbon") {
          expect(got.avg_power_W, "avg W").toBe(Number(r["carbon.avg_power_W"]));
          expect(got.avg_active_power_W, "active W").toBe(Number(r["carbon.avg_active_power_W"]));
          expect(got.peak_power_W, "peak W").toBe(Number(r["carbon.peak_power_W"]));
        }
      }
    }
  });
});

describe("carbon idle power of a gated system (any strategy but NoPG)", () => {
  const gated = readCsv(join(import.meta.dirname, "fixtures", "neusim-power", "totals_power.csv")).filter((r) => r.pg_strategy !== "NoPG");
  it("the fixture has gated rows", () => expect(gated.length).toBeGreaterThan(30));
  it("is 8.97 % of HBM static power plus all 'other' static power, per chip, as NeuSim reports", () => {
    for (const r of gated) {
      const { config, energy } = phaseOf(r);
      const got = carbonOf({ ...config, lifetime_years: 1 }, chipPower(config.chip), energy, 1, 1, r.pg_strategy);
      expect(got.idle_power_W, `${r.config_id} ${r.pg_strategy}`).toBe(Number(r["carbon.idle_power_W"]));
    }
  });
});

describe("a point's energy and carbon columns (NeuSim's run-script settings, 3 years)", () => {
  it.each(totals)("$config_id $phase $pg_strategy", (r) => {
    const { config, ops, hotExperts, stageNs, pipelineNs } = phaseOf(r);
    // The throughput of NeuSim's composite phase (its all-to-alls are the balanced ones); the config's carbon defaults are NeuSim's run-script settings.
    const got = pointEnergy({ config, energy: phaseEnergy(ops, config, hotExperts), stageNs, pipelineNs });
    expect(got.energy_per_chip_J).toBe(Number(r["energy.total_energy_J"]));
    expect(got.hbm_energy_per_chip_J).toBe(Number(r["energy.hbm_energy_J"]));
    expect(got.static_energy_per_chip_J).toBe(Number(r["energy.total_static_energy_J"]));
    expect(got.energy_exe_time_ns).toBe(Number(r["energy.total_exe_time_ns"]));
    expect(got.pg_slowdown).toBe(Number(r["energy.slowdown"]));
    if (r.pg_strategy === "NoPG" || r.pg_strategy === "disabled") expect(got.pg_slowdown).toBe(1);
    expect(got.throughput_tokens_per_sec).toBe(Number(r["run_sim.throughput_tokens_per_sec"]));
    expect(got.energy_per_token_J).toBe(1 / Number(r["carbon.lt3.avg_power_efficiency_tkn_per_joule"]));
    expect(got.system_avg_power_W).toBe(Number(r["carbon.avg_power_W"]));
    expect(got.operational_carbon_kgCO2e + got.embodied_carbon_kgCO2e).toBe(Number(r["carbon.lt3.avg_total_carbon_kgCO2e"]));
    expect(got.total_carbon_kgCO2e).toBe(Number(r["carbon.lt3.avg_total_carbon_kgCO2e"]));
    expect(got.embodied_carbon_kgCO2e).toBe(Number(r["carbon.lt3.embodied_carbon_kgCO2e"]));
  });
});
