/**
 * Fidelity: the cost model reproduces NeuSim's own per-operator outputs
 * (shared/reference/neusim, NeuSim commit 45dbdc1) to the nanosecond.
 * NeuSim costs every routed expert on all local tokens: W = K = 8 with f = -1 for
 * the expert compute, and the balanced exchange (f = 1) for the all-to-all.
 */
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { evaluate, type TimedOp } from "../src/model/evaluate.js";
import { opConfigString } from "../src/model/ops/op.js";
import { expectSameOp, FIXTURES, PARALLELISM, readCsv, referenceOpsFiles, type CsvRow } from "./helpers/neusim-reference.js";

const NEUSIM_EXPERT_COMPUTE = { num_worst_case_experts: 8, expert_load_imbalance_factor: -1 } as const;
const NEUSIM_EXCHANGE = { num_worst_case_experts: 8, expert_load_imbalance_factor: 1 } as const;
/** NeuSim's per-expert rows; the hot block replaces them. */
const routedExpertRow = /^FFN_routed_expert\d+-/;
const withoutFusionSuffix = (d: string) => d.replace(/-\d+$/, "");


const phaseTotal = (ops: readonly { count: number; timing?: { execution_time_ns: number } }[]) =>
  ops.reduce((s, op) => s + op.timing!.execution_time_ns * op.count, 0);
const refTotal = (rows: CsvRow[]) => rows.reduce((s, r) => s + Number(r["Execution time"]) * Number(r.Count), 0);

describe.each(referenceOpsFiles())("NeuSim reference $file", ({ config, rows }) => {
  it("every operator but the all-to-all matches NeuSim; the hot block reproduces its per-expert rows", () => {
    const ev = evaluate({ ...config, ...NEUSIM_EXPERT_COMPUTE });
    const hot = ev.ops.filter((op) => op.block === "hot_experts");
    const rest = ev.ops.filter((op) => op.block !== "hot_experts" && op.opcode !== "AllToAll");
    const refRest = rows.filter((r) => !routedExpertRow.test(r.Description) && r["Op Code"] !== "AllToAll");
    const refExpert0 = rows.filter((r) => r.Description.startsWith("FFN_routed_expert0-"));

    expect(ev.ops.some((op) => op.block === "remaining_experts")).toBe(false);
    expect(rest.map((op) => withoutFusionSuffix(op.description))).toEqual(refRest.map((r) => withoutFusionSuffix(r.Description)));
    expect(rest.map(opConfigString)).toEqual(refRest.map((r) => r.Config));
    rest.forEach((op, i) => expectSameOp(op, refRest[i]));

    expect(hot.map((op) => op.description.replace("_most_loaded", "0"))).toEqual(refExpert0.map((r) => r.Description));
    hot.forEach((op, i) => expectSameOp(op, refExpert0[i], 8));
    for (let e = 1; e < 8; e++) {
      const refE = rows.filter((r) => r.Description.startsWith(`FFN_routed_expert${e}-`));
      hot.forEach((op, i) => expect(op.timing.execution_time_ns).toBe(Number(refE[i]["Execution time"])));
    }
  });

  it("with the balanced exchange (f = 1) the dispatch and combine all-to-all match NeuSim", () => {
    const ev = evaluate({ ...config, ...NEUSIM_EXCHANGE });
    const mine = ev.ops.filter((op) => op.opcode === "AllToAll");
    const ref = rows.filter((r) => r["Op Code"] === "AllToAll");
    expect(mine.length).toBe(ref.length);
    mine.forEach((op, i) => expectSameOp(op, ref[i]));
  });

  it("phase time equals NeuSim's once its all-to-all (balanced) replaces ours (skewed)", () => {
    const skewed = evaluate({ ...config, ...NEUSIM_EXPERT_COMPUTE });
    const balanced = evaluate({ ...config, ...NEUSIM_EXCHANGE });
    const a2a = (ops: TimedOp[]) => phaseTotal(ops.filter((op) => op.opcode === "AllToAll"));
    expect(phaseTotal(skewed.ops) - a2a(skewed.ops) + a2a(balanced.ops)).toBe(refTotal(rows));
  });
});

describe("NeuSim totals (totals.csv)", () => {
  const totals = readCsv(join(FIXTURES, "totals.csv"));
  const configOf = (r: CsvRow) => ({
    model: r.model, chip: r.chip, ...PARALLELISM[r.parallelism], input_seqlen: Number(r.input_seqlen),
    output_seqlen: Number(r.output_seqlen), global_batch_size: Number(r.global_batch_size), ...NEUSIM_EXPERT_COMPUTE,
  });

  it.each(totals.filter((r) => r.ep === "1"))("EP=1 $config_id: TTFT, TPOT and MoE block time equal NeuSim's", (r) => {
    const prefill = evaluate({ ...configOf(r), phase: "prefill" }).outputs;
    const decode = evaluate({ ...configOf(r), phase: "decode" }).outputs;
    expect((prefill.prefill_time_ns as number) / 1e9).toBe(Number(r.prefill_TTFT_sec));
    expect((decode.decode_time_per_token_ns as number) / 1e6).toBe(Number(r.decode_TPOT_ms_request));
    expect(prefill.moe_layer_time_ns).toBe(Number(r.prefill_moe_block_time_per_layer_ns));
    expect(decode.moe_layer_time_ns).toBe(Number(r.decode_moe_block_time_per_layer_ns));
  });

  it.each(totals)("$config_id: memory footprint and out-of-memory flag equal NeuSim's", (r) => {
    for (const phase of ["prefill", "decode"] as const) {
      const out = evaluate({ ...configOf(r), phase }).outputs;
      expect(out.memory_footprint_GB).toBe(Number(r[`${phase}_mem_footprint_GB`]));
      expect(out.out_of_memory).toBe(r[`${phase}_out_of_memory`] === "True");
    }
  });

  it("reference totals cover every parallelism setting", () => {
    expect(new Set(totals.map((r) => r.parallelism))).toEqual(new Set(Object.keys(PARALLELISM)));
  });
});

describe("the seed change's own figures", () => {
  it("DeepSeek-V2 prefill dispatch/combine time rises ~1.16x at EP=2 and ~1.48x at EP=4 with the defaults", () => {
    const ratio = (EP: number) => {
      const base = { model: "deepseekv2-236b", phase: "prefill", tensor_parallelism_degree: EP, expert_parallelism_degree: EP } as const;
      const skewed = evaluate(base).outputs; // defaults: f = -1, W = 1
      const balanced = evaluate({ ...base, expert_load_imbalance_factor: 1 }).outputs;
      expect(skewed.combine_all_to_all_ns).toBe(skewed.dispatch_all_to_all_ns);
      return (skewed.dispatch_all_to_all_ns as number) / (balanced.dispatch_all_to_all_ns as number);
    };
    expect(ratio(2)).toBeCloseTo(1.16, 2);
    expect(ratio(4)).toBeCloseTo(1.48, 2);
  });

  it("decode (latency-bound) all-to-all does not move with imbalance", () => {
    const base = { model: "deepseekv3-671b", phase: "decode", tensor_parallelism_degree: 8, expert_parallelism_degree: 8 } as const;
    expect(evaluate(base).outputs.dispatch_all_to_all_ns).toBe(evaluate({ ...base, expert_load_imbalance_factor: 1 }).outputs.dispatch_all_to_all_ns);
  });
});
