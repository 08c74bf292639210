/**
 * Fidelity on NeuSim's Llama path (LLMOpsGenerator): NeuSim's own per-operator
 * outputs for 21 configurations (test/fixtures/neusim-llama, commit 45dbdc1),
 * reproduced exactly: every operator's description, fusion index, Config string,
 * count, times, bytes and FLOPs, the VMEM demand and MXU op count; TTFT, TPOT, footprint, OOM flag and run_sim's verdict.
 */
import { describe, expect, it } from "vitest";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { evaluate, type TimedOp } from "../src/model/evaluate.js";
import { opConfigString } from "../src/model/ops/op.js";
import { mxuStats } from "../src/model/energy/op-stats.js";
import type { ConfigInput, Phase } from "../src/model/config.js";
import { expectSameOp, readCsv, type CsvRow } from "./helpers/neusim-reference.js";

const DIR = join(import.meta.dirname, "fixtures", "neusim-llama");
const totals = new Map(readCsv(join(DIR, "totals.csv")).map((r) => [r.config_id, r]));

function configOf(file: string): { id: string; phase: Phase; config: ConfigInput } {
  const m = /^(.+?)__(.+?)__nc(\d+)((?:_(?:dp|tp|pp)\d+)*)__in(\d+)_out(\d+)__bs(\d+)__(prefill|decode)\.csv$/.exec(file);
  if (!m) throw new Error(`unexpected file name ${file}`);
  const deg = (k: string) => Number(new RegExp(`_${k}(\\d+)`).exec(m[4])?.[1] ?? 1);
  return {
    id: file.replace(/__(prefill|decode)\.csv$/, ""), phase: m[8] as Phase,
    config: {
      model: m[1], chip: m[2], num_chips: Number(m[3]), data_parallelism_degree: deg("dp"), tensor_parallelism_degree: deg("tp"),
      pipeline_parallelism_degree: deg("pp"), input_seqlen: Number(m[5]), output_seqlen: Number(m[6]), global_batch_size: Number(m[7]), phase: m[8] as Phase,
    },
  };
}

const files = readdirSync(join(DIR, "ops")).sort();

it("the fixtures hold 21 configurations, both phases", () => {
  expect(files).toHaveLength(42);
  expect(totals.size).toBe(21);
});

describe.each(files)("NeuSim Llama reference %s", (file) => {
  const { id, phase, config } = configOf(file);
  const rows = readCsv(join(DIR, "ops", file));
  const ev = evaluate(config);

  it("every operator matches: description, fusion index, Config, count, times, bytes, FLOPs", () => {
    expect(ev.ops.map((op) => op.description)).toEqual(rows.map((r) => r.Description));
    expect(ev.ops.map((op) => op.fusion_index)).toEqual(rows.map((r) => Number(r["Fusion index"])));
    ev.ops.forEach((op: TimedOp, i: number) => {
      const ref: CsvRow = rows[i];
      expect(opConfigString(op), `${ref.Description}`).toBe(ref.Config);
      expectSameOp(op, ref);
      // The tile-search stats NeuSim's power gating reads (FlashAttention among them).
      expect(mxuStats(op.cost, ev.config), ref.Description).toEqual(ref.max_vmem_demand_bytes === "" ? undefined
        : { vmemDemandBytes: Number(ref.max_vmem_demand_bytes), mxuOps: Number(ref.num_mxu_ops) });
    });
  });

  it("TTFT / TPOT, footprint, OOM flag and NeuSim's run_sim verdict equal totals.csv", () => {
    const t = totals.get(id)!;
    const o = ev.outputs;
    expect(o.stage_time_ns).toBe(Number(t[`${phase}_total_execution_time_non_pp_ns`]));
    expect(o.pipeline_ici_ns).toBe(Number(t[`${phase}_total_pp_ici_time_ns`]));
    if (phase === "prefill") expect(o.prefill_time_ns).toBe(Number(t.prefill_TTFT_ns));
    else expect(o.decode_time_per_token_ns).toBe(Number(t.decode_TPOT_ns));
    expect(o.memory_footprint_GB).toBe(Number(t[`${phase}_mem_footprint_GB`]));
    expect(o.out_of_memory).toBe(t[`${phase}_out_of_memory`] === "True");
    expect(o.neusim_valid).toBe(t[`valid_${phase}_run_sim`] === "True");
    expect(o.neusim_reason).toBe(t[`reason_${phase}_run_sim`]);
  });
});

describe("gqa_in_operators (a deliberate difference from NeuSim)", () => {
  const base = { model: "llama3-8b", chip: "tpuv5p", phase: "decode", global_batch_size: 1, input_seqlen: 512, output_seqlen: 64 } as const;
  const kvReads = (gqa: boolean) => evaluate({ ...base, gqa_in_operators: gqa }).ops.filter((op) => op.description.endsWith("Softmax(Q*K)*V") && op.opcode === "Einsum");

  it("off (NeuSim's entries): the KV-cache einsums read 32 query heads' worth of cache", () => {
    const [prefix] = kvReads(false);
    expect(opConfigString(prefix)).toBe("XlaEinsum(a=1x1x32x128,b=1x512x32x128,eq=BLND;BSND->BLSN,memory_placements=0_0_0,type=DT_BFLOAT16)");
  });

  it("on: decode's KV-cache reads fall by heads / kv_heads (32 / 8), FLOPs unchanged", () => {
    const off = kvReads(false), on = kvReads(true);
    expect(on).toHaveLength(4);
    on.forEach((op, i) => {
      expect(op.flops).toBe(off[i].flops);
      const cacheElems = (o: TimedOp) => (o.shape.kind === "einsum" ? o.shape.rhs.reduce((a, b) => a * b, 1) : NaN);
      expect(cacheElems(off[i]) / cacheElems(op)).toBe(4);
      // Everything else the einsum touches is the same size, so the bytes fall by exactly the cache's 3/4.
      expect(off[i].timing.bytes_accessed - op.timing.bytes_accessed).toBe(2 * (cacheElems(off[i]) - cacheElems(op)));
    });
    const kProj = (gqa: boolean) => evaluate({ ...base, phase: "prefill", gqa_in_operators: gqa }).ops.find((op) => op.description.startsWith("-K-"))!;
    expect(kProj(true).flops * 4).toBe(kProj(false).flops);
    expect(evaluate({ ...base, gqa_in_operators: true }).outputs.phase_time_ns).toBeLessThan(evaluate(base).outputs.phase_time_ns as number);
  });
});
