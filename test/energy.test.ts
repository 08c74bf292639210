/**
 * NeuSim's per-operator energy without power gating (NoPG, DVFS off),
 * reproduced exactly on NeuSim's own per-operator energy outputs
 * (test/fixtures/neusim-power/ops_power, NeuSim commit 45dbdc1): every
 * component's static and dynamic energy, and the totals, of every operator.
 */
import { describe, expect, it } from "vitest";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { evaluate, type TimedOp } from "../src/model/evaluate.js";
import { ENERGY_COMPONENTS, opEnergyOf } from "../src/model/energy/op-energy.js";
import { phaseEnergyNoPG } from "../src/model/energy/phase-energy.js";
import { neusimPowerReferencePhase, PARALLELISM, powerRowConfig, readCsv } from "./helpers/neusim-reference.js";

const DIR = join(import.meta.dirname, "fixtures", "neusim-power", "ops_power");
const files = readdirSync(DIR).sort();
const routedExpertRow = /^FFN_routed_expert\d+-/;

const energyOf = (op: TimedOp, config: ReturnType<typeof evaluate>["config"]) => opEnergyOf(op, config);

it("the fixtures hold NoPG outputs for 3 configurations, both phases", () => expect(files).toHaveLength(6));

describe.each(files)("NeuSim NoPG energy %s", (file) => {
  const m = /^(.+?)__(.+?)__(.+?)__in(\d+)_out(\d+)__bs(\d+)__(prefill|decode)__NoPG\.csv$/.exec(file)!;
  const config = { model: m[1], chip: m[2], ...PARALLELISM[m[3]], input_seqlen: +m[4], output_seqlen: +m[5], global_batch_size: +m[6], phase: m[7] as "prefill" | "decode" };
  const rows = readCsv(join(DIR, file));

  it("every operator's static, dynamic and total energy per component equals NeuSim's, to the bit", () => {
    // Our ops in NeuSim's order: the hot block stands for expert 0's rows (every expert's rows are equal).
    const { config: resolved, ops: mine } = neusimPowerReferencePhase(config);
    const ref = rows.filter((r) => !routedExpertRow.test(r.Description) || r.Description.startsWith("FFN_routed_expert0-"));
    expect(mine).toHaveLength(ref.length);
    mine.forEach((op, i) => {
      const r = ref[i];
      const e = energyOf(op, resolved);
      const where = `${r.Description} ${r.Config}`;
      expect(e.executionNs, where).toBe(Number(r["Execution time"]));
      for (const c of ENERGY_COMPONENTS) {
        expect(e.static_J[c], `${where} static ${c}`).toBe(Number(r[`static_energy_${c}_J`]));
        expect(e.dynamic_J[c], `${where} dynamic ${c}`).toBe(Number(r[`dynamic_energy_${c}_J`]));
      }
      expect(e.static_energy_J, where).toBe(Number(r.static_energy_J));
      expect(e.dynamic_energy_J, where).toBe(Number(r.dynamic_energy_J));
      expect(e.total_energy_J, where).toBe(Number(r.total_energy_J));
    });
  });
});

it("eval --ops lists each operator's NoPG energy per execution", async () => {
  const { moesweep } = await import("./helpers/cli.js");
  const r = moesweep(["eval", "--ops", "--json", "--phase", "decode", "--tensor_parallelism_degree", "8"]);
  expect(r.status, r.stderr).toBe(0);
  const ops = JSON.parse(r.stdout).ops as { static_energy_J: number; dynamic_energy_J: number; total_energy_J: number }[];
  for (const op of ops) {
    expect(op.static_energy_J).toBeGreaterThan(0);
    expect(op.total_energy_J).toBe(op.static_energy_J + op.dynamic_energy_J);
  }
});

describe("NeuSim NoPG phase energy (totals_power.csv, the 15 reference configurations)", () => {
  const totals = readCsv(join(import.meta.dirname, "fixtures", "neusim-power", "totals_power.csv"))
    .filter((r) => r.pg_strategy === "NoPG" && r.set === "reference");
  it("has both phases of the 15 configurations", () => expect(totals).toHaveLength(30));
  it.each(totals)("$config_id $phase: energy, components, average and peak power, time equal NeuSim's", (r) => {
    const { config, ops, hotExperts } = neusimPowerReferencePhase(powerRowConfig(r));
    const e = phaseEnergyNoPG(ops, config, hotExperts);
    expect(e.total_energy_J).toBe(Number(r["energy.total_energy_J"]));
    for (const c of ENERGY_COMPONENTS) expect(e.component_J[c], c).toBe(Number(r[`energy.${c}_energy_J`]));
    expect(e.static_energy_J).toBe(Number(r["energy.total_static_energy_J"]));
    expect(e.dynamic_energy_J).toBe(Number(r["energy.total_dynamic_energy_J"]));
    expect(e.exe_time_ns).toBe(Number(r["energy.total_exe_time_ns"]));
    expect(e.avg_power_W).toBe(Number(r["energy.avg_power_W"]));
    expect(e.peak_power_W).toBe(Number(r["energy.peak_power_W"]));
  });
});
