/** End-to-end: a sweep writes the energy columns when `columns:` names them, equal to `eval --energy`. */
import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { moesweep, moesweepJson, runSpecText } from "./helpers/cli.js";

const dir = mkdtempSync(join(tmpdir(), "moesweep-energy-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const point = ["--phase", "decode", "--tensor_parallelism_degree", "8", "--expert_parallelism_degree", "8", "--global_batch_size", "64"];

const run = (spec: string, name: string) => runSpecText(dir, name, spec);

describe("energy columns in a sweep", () => {
  const rows = run(`name: energy
base: { phase: decode, tensor_parallelism_degree: 8, expert_parallelism_degree: 8, global_batch_size: 64 }
grid: { expert_load_imbalance_factor: [1, 4, -1] }
columns: [phase_time_ns, energy_per_chip_J, energy_per_token_J, total_carbon_kgCO2e, ep_wait_s, imbalance_energy_overhead]
`, "energy");

  it("has the named columns, one row per f", () => {
    expect(rows).toHaveLength(3);
    expect(Object.keys(rows[0])).toEqual(expect.arrayContaining(["energy_per_chip_J", "imbalance_energy_overhead", "phase_time_ns"]));
    expect(Object.keys(rows[0])).not.toContain("avg_power_W");
  });

  it("every value is eval --energy's, to the last digit", () => {
    for (const row of rows) {
      const ev = moesweepJson(["eval", ...point, "--expert_load_imbalance_factor", row.expert_load_imbalance_factor, "--energy"]);
      for (const c of ["energy_per_chip_J", "energy_per_token_J", "total_carbon_kgCO2e", "ep_wait_s", "imbalance_energy_overhead"]) {
        expect(Number(row[c]), `f = ${row.expert_load_imbalance_factor} ${c}`).toBe(ev[c]);
      }
    }
  });

  it("balanced: overhead 1; the worst case: NeuSim-model anchor 1.0092441387546032", () => {
    const byF = new Map(rows.map((r) => [r.expert_load_imbalance_factor, r]));
    expect(byF.get("1")!.imbalance_energy_overhead).toBe("1");
    expect(Number(byF.get("-1")!.imbalance_energy_overhead)).toBe(1.0092441387546032);
  });

  it("the carbon settings are config fields: sweeping lifetime_years gives NeuSim's 1- and 3-year carbon", () => {
    // NeuSim's reference deepseekv3-671b__tpuv5p__nc1_ep1__in4096_out512__bs8, decode (totals_power.csv).
    const life = run(`name: lifetime
base: { phase: decode, num_chips: 1, global_batch_size: 8, input_seqlen: 4096, output_seqlen: 512, num_worst_case_experts: 8 }
grid: { lifetime_years: [1, 3] }
columns: [energy_per_chip_J, total_carbon_kgCO2e]
`, "lifetime");
    expect(life.map((r) => Number(r.total_carbon_kgCO2e))).toEqual([794.6640794604524, 1213.9922383813573]);
    expect(life.map((r) => Number(r.energy_per_chip_J))).toEqual([6995.656948437843, 6995.656948437843]);
    expect(life[0].config_key).not.toBe(life[1].config_key);
    // At its default (3) the field is left out of the key: the same key as a point that does not name it.
    expect(life[1].config_key).toBe(moesweepJson(["eval", "--phase", "decode", "--num_chips", "1", "--global_batch_size", "8", "--input_seqlen", "4096",
      "--output_seqlen", "512", "--num_worst_case_experts", "8"]).config_key);
  });

  it("per-component columns, summed only when named, are eval --energy's too", () => {
    const parts = run(`name: parts
base: { phase: decode, tensor_parallelism_degree: 8, expert_parallelism_degree: 8, global_batch_size: 64 }
grid: { expert_load_imbalance_factor: [1, -1] }
columns: [energy_per_chip_J, sa_energy_per_chip_J, hbm_energy_per_chip_J]
`, "parts");
    for (const row of parts) {
      const ev = moesweepJson(["eval", ...point, "--expert_load_imbalance_factor", row.expert_load_imbalance_factor, "--energy"]);
      for (const c of ["energy_per_chip_J", "sa_energy_per_chip_J", "hbm_energy_per_chip_J"]) {
        expect(Number(row[c]), `f = ${row.expert_load_imbalance_factor} ${c}`).toBe(ev[c]);
        expect(Number(row[c])).toBeGreaterThan(0);
      }
    }
  });

  it("a sweep that does not name them writes no energy columns", () => {
    const plain = run(`name: plain
base: { phase: decode }
grid: { expert_load_imbalance_factor: [1, -1] }
`, "plain");
    expect(Object.keys(plain[0])).not.toContain("energy_per_chip_J");
    expect(Object.keys(plain[0])).toContain("phase_time_ns");
  });
});
