/**
 * Fidelity with pipeline parallelism: NeuSim's own outputs for three pp > 1
 * configurations (test/fixtures/neusim-pp, NeuSim commit 45dbdc1) reproduced to
 * the nanosecond: every operator, TTFT, TPOT, footprint, OOM flag, and NeuSim's
 * run_sim verdict (neusim_valid / neusim_reason).
 */
import { describe, expect, it } from "vitest";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { evaluate, type TimedOp } from "../src/model/evaluate.js";
import { MODELS } from "../src/model/catalog/models.js";
import { opConfigString } from "../src/model/ops/op.js";
import type { ConfigInput, Phase } from "../src/model/config.js";
import { expectSameOp, readCsv, type CsvRow } from "./helpers/neusim-reference.js";

const DIR = join(import.meta.dirname, "fixtures", "neusim-pp");
const totals = readCsv(join(DIR, "totals.csv"));
const routedExpertRow = /^FFN_routed_expert\d+-/;
const withoutFusionSuffix = (d: string) => d.replace(/-\d+$/, "");

function configOf(r: CsvRow, phase: Phase): ConfigInput {
  return {
    model: r.model, chip: r.chip, num_chips: Number(r.num_chips), data_parallelism_degree: Number(r.dp),
    tensor_parallelism_degree: Number(r.tp), pipeline_parallelism_degree: Number(r.pp), expert_parallelism_degree: Number(r.ep),
    input_seqlen: Number(r.input_seqlen), output_seqlen: Number(r.output_seqlen), global_batch_size: Number(r.global_batch_size), phase,
  };
}
/** NeuSim runs every routed expert on all local tokens (W = K, f = -1) and exchanges evenly (f = 1). */
const expertCompute = (model: string) => ({ num_worst_case_experts: MODELS[model].num_activated_routed_experts_per_token, expert_load_imbalance_factor: -1 });
const exchange = (model: string) => ({ num_worst_case_experts: MODELS[model].num_activated_routed_experts_per_token, expert_load_imbalance_factor: 1 });

/** Our operator equals NeuSim's row, its Config string too. Fusion indices are not compared: NeuSim numbers K per-expert blocks where the model has one hot block. */
function expectSameOpAndConfig(mine: TimedOp, ref: CsvRow, countFactor = 1): void {
  expect(opConfigString(mine), `${ref.Description}`).toBe(ref.Config);
  expectSameOp(mine, ref, countFactor);
}

const sum = (ops: TimedOp[]) => ops.reduce((s, op) => s + op.timing.execution_time_ns * op.count, 0);

const cases = totals.flatMap((r) => (["prefill", "decode"] as const).map((phase) => ({ id: r.config_id, phase, r })));

it("the fixtures hold both phases of all three configurations", () => {
  expect(readdirSync(join(DIR, "ops")).sort()).toEqual(cases.map((c) => `${c.id}__${c.phase}.csv`).sort());
});

describe.each(cases)("NeuSim pp reference $id $phase", ({ id, phase, r }) => {
  const rows = readCsv(join(DIR, "ops", `${id}__${phase}.csv`));
  const K = MODELS[r.model].num_activated_routed_experts_per_token;

  it("every operator but the all-to-all matches, pipeline transfers included; the hot block reproduces the per-expert rows", () => {
    const ev = evaluate({ ...configOf(r, phase), ...expertCompute(r.model) });
    const hot = ev.ops.filter((op) => op.block === "hot_experts");
    const rest = ev.ops.filter((op) => op.block !== "hot_experts" && op.opcode !== "AllToAll");
    const refRest = rows.filter((row) => !routedExpertRow.test(row.Description) && row["Op Code"] !== "AllToAll");
    expect(rest.map((op) => withoutFusionSuffix(op.description))).toEqual(refRest.map((row) => withoutFusionSuffix(row.Description)));
    rest.forEach((op, i) => expectSameOpAndConfig(op, refRest[i]));
    expect(ev.ops.filter((op) => op.block === "pipeline_ici")).toHaveLength(2);
    const refExpert0 = rows.filter((row) => row.Description.startsWith("FFN_routed_expert0-"));
    hot.forEach((op, i) => {
      const ref = refExpert0[i];
      expect(op.timing.execution_time_ns).toBe(Number(ref["Execution time"]));
      expect(op.count).toBe(Number(ref.Count) * K);
    });
  });

  it("with the balanced exchange the all-to-all matches; TTFT / TPOT = pp x (stage + pipeline ICI) equal NeuSim's", () => {
    const skewed = evaluate({ ...configOf(r, phase), ...expertCompute(r.model) });
    const balanced = evaluate({ ...configOf(r, phase), ...exchange(r.model) });
    const a2a = (ops: TimedOp[]) => ops.filter((op) => op.opcode === "AllToAll");
    const refA2a = rows.filter((row) => row["Op Code"] === "AllToAll");
    expect(a2a(balanced.ops)).toHaveLength(refA2a.length);
    a2a(balanced.ops).forEach((op, i) => expectSameOpAndConfig(op, refA2a[i]));
    const stageOps = (ops: TimedOp[]) => ops.filter((op) => op.block !== "pipeline_ici");
    const stage = sum(stageOps(skewed.ops)) - sum(a2a(skewed.ops)) + sum(a2a(balanced.ops));
    const pipeline = skewed.outputs.pipeline_ici_ns as number;
    expect(stage).toBe(Number(r[`${phase}_total_execution_time_non_pp_ns`]));
    expect(pipeline).toBe(Number(r[`${phase}_total_pp_ici_time_ns`]));
    const pp = Number(r.pp);
    if (phase === "prefill") expect(pp * (stage + pipeline)).toBe(Number(r.prefill_TTFT_ns));
    else expect((pp * (stage + pipeline)) / Number(r.output_seqlen)).toBe(Number(r.decode_TPOT_ns));
    // The identity holds for our own (skewed) outputs too.
    const o = skewed.outputs;
    expect(o.phase_time_ns).toBe(pp * ((o.stage_time_ns as number) + (o.pipeline_ici_ns as number)));
  });

  it("footprint, OOM flag and NeuSim's run_sim verdict equal NeuSim's", () => {
    const o = evaluate({ ...configOf(r, phase), ...expertCompute(r.model) }).outputs;
    expect(o.memory_footprint_GB).toBe(Number(r[`${phase}_mem_footprint_GB`]));
    expect(o.out_of_memory).toBe(r[`${phase}_out_of_memory`] === "True");
    expect(o.neusim_valid).toBe(r[`valid_${phase}_run_sim`] === "True");
    expect(o.neusim_reason).toBe(r[`reason_${phase}_run_sim`]);
  });
});
