/**
 * NeuSim's SLO analysis (slo_analysis_main), reproduced on its own picks
 * (test/fixtures/neusim-power/slo_results.csv): the reference latency and, per
 * power-gating setting, phase and SLO scale, every pick and number, from this
 * project's model of the same 18 configurations (DeepSeek-V3, v5p).
 */
import { describe, expect, it } from "vitest";
import { phaseEnergy } from "../src/model/energy/phase-energy.js";
import { join } from "node:path";
import { pointEnergy } from "../src/model/energy/point-energy.js";
import { CHIP_PRICE_PER_HOUR, sloPick, sloPickColumns, sloReferenceLatency, type SloCandidate } from "../src/report/slo.js";
import { neusimPowerReferencePhase, powerRowConfig, readCsv, type CsvRow } from "./helpers/neusim-reference.js";

const DIR = join(import.meta.dirname, "fixtures", "neusim-power");
const dirOf = new Map(readCsv(join(DIR, "configs.csv")).map((r) => [r.config_id, r.neusim_model_dir]));
const totals = readCsv(join(DIR, "totals_power.csv"));
const picks = readCsv(join(DIR, "slo_results.csv"));

/** One reference row as the SLO analysis sees it, numbers from this project's model. */
function candidate(r: CsvRow): SloCandidate {
  const { config, ops, hotExperts, outOfMemory } = neusimPowerReferencePhase({ ...powerRowConfig(r), power_gating_strategy: r.pg_strategy });
  let stageNs = 0, pipelineNs = 0;
  for (const op of ops) {
    if (op.block === "pipeline_ici") pipelineNs += op.timing.execution_time_ns * op.count;
    else stageNs += op.timing.execution_time_ns * op.count;
  }
  const e = pointEnergy({ config, energy: phaseEnergy(ops, config, hotExperts), stageNs, pipelineNs });
  const pp = config.pipeline_parallelism_degree;
  const latency = config.phase === "prefill" ? ((stageNs + pipelineNs) * pp) / 1e9 : ((stageNs + pipelineNs) * pp / config.output_seqlen) / 1e6;
  return {
    chip: config.chip, num_chips: config.num_chips, global_batch_size: config.global_batch_size, out_of_memory: outOfMemory, latency,
    throughput_tokens_per_sec: e.throughput_tokens_per_sec, energy_per_token_J: e.energy_per_token_J, system_avg_power_W: e.system_avg_power_W,
    hbm_size_GB: config.hbm_size_GB, config_key: r.config_id,
  };
}

const cases = [...new Set(picks.map((p) => `${p.pg_strategy}/${p.phase}`))].map((k) => k.split("/") as [string, "prefill" | "decode"]);

it("the fixture holds NoPG and HW, both phases, scales 1-6, and one chip with results (v5p)", () => {
  expect(cases).toHaveLength(4);
  expect(picks.filter((p) => p.min_num_chips !== "").map((p) => p.version)).toEqual(Array(24).fill("5p"));
});

describe.each(cases)("%s %s", (pg, phase) => {
  // NeuSim's SLO sweep reads one result folder: V3 4096/512 (the 64-chip configurations are in another).
  const rows = totals.filter((r) => r.pg_strategy === pg && r.phase === phase && dirOf.get(r.config_id) === "deepseekv3-671b_4096_512");
  const cands = rows.map(candidate);
  const metric = phase === "prefill" ? "TTFT_sec" : "TPOT_ms_request";

  it("reads 18 configurations whose latency, throughput and OOM flag are NeuSim's", () => {
    expect(cands).toHaveLength(18);
    rows.forEach((r, i) => {
      expect(cands[i].out_of_memory, r.config_id).toBe(r["run_sim.out_of_memory"] === "True");
      expect(cands[i].throughput_tokens_per_sec, r.config_id).toBe(Number(r["run_sim.throughput_tokens_per_sec"]));
      expect(cands[i].latency, r.config_id).toBe(Number(r[phase === "prefill" ? "run_sim.TTFT_sec" : "run_sim.TPOT_ms_request"]));
    });
  });

  const ref = sloReferenceLatency(cands)!;
  it.each(picks.filter((p) => p.pg_strategy === pg && p.phase === phase && p.min_num_chips !== ""))("SLO scale $slo_scale: every pick and number", (p) => {
    const got = sloPickColumns(sloPick(cands, "tpuv5p", ref, Number(p.slo_scale), CHIP_PRICE_PER_HOUR.tpuv5p), metric);
    const compared = Object.keys(p).filter((k) => p[k] !== "" && !/stats_file$/.test(k) && !["pg_strategy", "sweep", "model_dir", "phase", "slo_scale", "version"].includes(k));
    expect(compared.length).toBe(20);
    for (const k of compared) expect(got[k], k).toBe(Number(p[k]));
  });
});
