/** Loads NeuSim's reference outputs (test/fixtures/neusim, from shared/reference/neusim). */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { expect } from "vitest";
import type { ConfigInput, Phase } from "../../src/model/config.js";
import { evaluate, type TimedOp } from "../../src/model/evaluate.js";

export const FIXTURES = join(import.meta.dirname, "..", "fixtures", "neusim");

/** Parallelism settings of the reference files. */
export const PARALLELISM: Record<string, ConfigInput> = {
  nc1_ep1: { num_chips: 1, data_parallelism_degree: 1, tensor_parallelism_degree: 1, expert_parallelism_degree: 1 },
  nc8_tp8: { num_chips: 8, data_parallelism_degree: 1, tensor_parallelism_degree: 8, expert_parallelism_degree: 1 },
  nc8_tp8_ep8: { num_chips: 8, data_parallelism_degree: 1, tensor_parallelism_degree: 8, expert_parallelism_degree: 8 },
  nc8_dp8_ep8: { num_chips: 8, data_parallelism_degree: 8, tensor_parallelism_degree: 1, expert_parallelism_degree: 8 },
  nc64_tp8_ep8: { num_chips: 64, data_parallelism_degree: 1, tensor_parallelism_degree: 8, expert_parallelism_degree: 8 },
};

export type CsvRow = Record<string, string>;

export interface ReferenceOpsFile {
  file: string;
  parallelism: string;
  phase: Phase;
  config: ConfigInput;
  rows: CsvRow[];
}

export function readCsv(path: string): CsvRow[] {
  return parse(readFileSync(path), { columns: true }) as CsvRow[];
}

export function referenceOpsFiles(): ReferenceOpsFile[] {
  const dir = join(FIXTURES, "ops");
  return readdirSync(dir).sort().map((file) => {
    const m = /^(.+?)__(.+?)__(.+?)__in(\d+)_out(\d+)__bs(\d+)__(prefill|decode)\.csv$/.exec(file);
    if (!m) throw new Error(`unexpected reference file name ${file}`);
    const phase = m[7] as Phase;
    return {
      file, parallelism: m[3], phase,
      config: { model: m[1], chip: m[2], ...PARALLELISM[m[3]], input_seqlen: +m[4], output_seqlen: +m[5], global_batch_size: +m[6], phase },
      rows: readCsv(join(dir, file)),
    };
  });
}

/** Every time, byte and FLOP count of one of our operators equals NeuSim's row (count x countFactor for merged blocks). */
export function expectSameOp(mine: TimedOp, ref: CsvRow, countFactor = 1): void {
  const where = `${ref.Description} ${ref.Config}`;
  expect(mine.timing.execution_time_ns, where).toBe(Number(ref["Execution time"]));
  expect(mine.timing.bytes_accessed, where).toBe(Number(ref["Bytes accessed"]));
  expect(mine.flops, where).toBe(Number(ref["FLOP Count"]));
  expect(mine.count, where).toBe(Number(ref.Count) * countFactor);
  expect(mine.opcode, where).toBe(ref["Op Code"]);
  expect(mine.timing.bounded_by, where).toBe(ref["Bounded-by"]);
  expect(mine.timing.mxu_time_ns, where).toBe(Number(ref["MXU time"]));
  expect(mine.timing.vpu_time_ns, where).toBe(Number(ref["VPU time"]));
  expect(mine.timing.memory_time_ns, where).toBe(Number(ref["Memory time"]));
  expect(mine.timing.ici_time_ns, where).toBe(Number(ref["ICI/NVLink time"]));
  expect(mine.timing.vmem_time_ns, where).toBe(Number(ref["Vmem time"]));
}

/** The configuration of a totals_power.csv row. */
export const powerRowConfig = (r: CsvRow): ConfigInput => ({
  model: r.model, chip: r.chip, num_chips: Number(r.num_chips), data_parallelism_degree: Number(r.dp),
  tensor_parallelism_degree: Number(r.tp), expert_parallelism_degree: Number(r.ep), input_seqlen: Number(r.input_seqlen),
  output_seqlen: Number(r.output_seqlen), global_batch_size: Number(r.global_batch_size), phase: r.phase as Phase,
});

/**
 * The phase NeuSim's power reference outputs were made from: compute operators at the
 * worst-case load (every expert of the K runs), all-to-alls at the balanced one, in our order
 * (the hot block stands for each expert's rows).
 */
export function neusimPowerReferencePhase(config: ConfigInput) {
  const compute = evaluate({ ...config, num_worst_case_experts: 8, expert_load_imbalance_factor: -1 });
  const exchange = evaluate({ ...config, num_worst_case_experts: 8, expert_load_imbalance_factor: 1 });
  const a2a = exchange.ops.filter((op) => op.opcode === "AllToAll");
  let k = 0;
  const ops = compute.ops.map((op) => (op.opcode === "AllToAll" ? a2a[k++] : op));
  return { config: compute.config, ops, hotExperts: compute.imbalance.hot_experts_on_device, outOfMemory: compute.outputs.out_of_memory as boolean };
}
