/**
 * NeuSim's per-operator energy under every power-gating setting (DVFS off),
 * reproduced exactly on NeuSim's own per-operator energy outputs
 * (test/fixtures/neusim-power/ops_power, NeuSim commit 45dbdc1): every
 * component's static and dynamic energy, the totals, the component times after
 * wake-up overheads and the gated execution time of every operator; and the
 * phase totals of totals_power.csv for all 8 settings.
 */
import { describe, expect, it } from "vitest";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { evaluate, type TimedOp } from "../src/model/evaluate.js";
import { ENERGY_COMPONENTS, opEnergyOf } from "../src/model/energy/op-energy.js";
import { phaseEnergy } from "../src/model/energy/phase-energy.js";
import { PG_STRATEGIES } from "../src/model/energy/power-gating.js";
import { mxuStats } from "../src/model/energy/op-stats.js";
import { neusimPowerReferencePhase, PARALLELISM, powerRowConfig, readCsv } from "./helpers/neusim-reference.js";

const DIR = join(import.meta.dirname, "fixtures", "neusim-power", "ops_power");
const files = readdirSync(DIR).sort();
const routedExpertRow = /^FFN_routed_expert\d+-/;

const energyOf = (op: TimedOp, config: ReturnType<typeof evaluate>["config"]) => opEnergyOf(op, config);

it("the fixtures hold 7 settings (disabled is NoPG per operator) x 3 configurations x 2 phases", () => {
  expect(files).toHaveLength(42);
  expect(new Set(files.map((f) => /__([^_]+(?:_[a-z]+)*)\.csv$/.exec(f)![1]))).toEqual(new Set(PG_STRATEGIES.filter((s) => s !== "disabled")));
});

describe.each(files)("NeuSim energy %s", (file) => {
  const m = /^(.+?)__(.+?)__(.+?)__in(\d+)_out(\d+)__bs(\d+)__(prefill|decode)__(.+)\.csv$/.exec(file)!;
  const config = {
    model: m[1], chip: m[2], ...PARALLELISM[m[3]], input_seqlen: +m[4], output_seqlen: +m[5], global_batch_size: +m[6],
    phase: m[7] as "prefill" | "decode", power_gating_strategy: m[8],
  };
  const rows = readCsv(join(DIR, file));

  it("every operator's energies, component times and execution time equal NeuSim's, to the bit", () => {
    // Our ops in NeuSim's order: the hot block stands for expert 0's rows (every expert's rows are equal).
    const { config: resolved, ops: mine } = neusimPowerReferencePhase(config);
    const ref = rows.filter((r) => !routedExpertRow.test(r.Description) || r.Description.startsWith("FFN_routed_expert0-"));
    expect(mine).toHaveLength(ref.length);
    mine.forEach((op, i) => {
      const r = ref[i];
      const e = energyOf(op, resolved);
      const where = `${r.Description} ${r.Config}`;
      expect(e.executionNs, where).toBe(Number(r["Execution time"]));
      expect(e.componentNs, where).toEqual({
        sa: Number(r["MXU time"]), vu: Number(r["VPU time"]), vmem: Number(r["Vmem time"]), hbm: Number(r["Memory time"]), ici: Number(r["ICI/NVLink time"]),
      });
      expect([e.num_setpm_vu, e.num_setpm_sram], where).toEqual([Number(r.num_setpm_vu), Number(r.num_setpm_sram)]);
      expect(mxuStats(op.cost, resolved), where).toEqual(r.max_vmem_demand_bytes === "" ? undefined
        : { vmemDemandBytes: Number(r.max_vmem_demand_bytes), mxuOps: Number(r.num_mxu_ops) });
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

describe("NeuSim phase energy (totals_power.csv, the 15 reference configurations x 8 settings)", () => {
  const totals = readCsv(join(import.meta.dirname, "fixtures", "neusim-power", "totals_power.csv")).filter((r) => r.set === "reference");
  it("has both phases of the 15 configurations under every setting", () => {
    expect(totals).toHaveLength(30 * 8);
    expect(new Set(totals.map((r) => r.pg_strategy))).toEqual(new Set(PG_STRATEGIES));
  });
  it.each(totals)("$config_id $phase $pg_strategy: energy, components, power, times, slowdown equal NeuSim's", (r) => {
    const { config, ops, hotExperts } = neusimPowerReferencePhase({ ...powerRowConfig(r), power_gating_strategy: r.pg_strategy });
    const e = phaseEnergy(ops, config, hotExperts);
    expect(e.total_energy_J).toBe(Number(r["energy.total_energy_J"]));
    for (const c of ENERGY_COMPONENTS) expect(e.component_J[c], c).toBe(Number(r[`energy.${c}_energy_J`]));
    expect(e.static_energy_J).toBe(Number(r["energy.total_static_energy_J"]));
    expect(e.dynamic_energy_J).toBe(Number(r["energy.total_dynamic_energy_J"]));
    expect(e.exe_time_ns).toBe(Number(r["energy.total_exe_time_ns"]));
    expect(e.avg_power_W).toBe(Number(r["energy.avg_power_W"]));
    expect(e.peak_power_W).toBe(Number(r["energy.peak_power_W"]));
    expect(e.slowdown).toBe(Number(r["energy.slowdown"]));
    for (const [c, col] of [["sa", "sa"], ["vu", "vu"], ["vmem", "vmem"], ["hbm", "hbm"], ["ici", "ici"]] as const) {
      expect(e.detail!.component_ns[c], `${c} time`).toBe(Number(r[`energy.${col}_time_ns`]));
    }
    expect(e.detail!.num_setpm_vu).toBe(Number(r["energy.num_setpm_vu"]));
    expect(e.detail!.num_setpm_sram).toBe(Number(r["energy.num_setpm_sram"]));
  });
});
