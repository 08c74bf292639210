/** Loads NeuSim's reference outputs (test/fixtures/neusim, from shared/reference/neusim). */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import type { ConfigInput, Phase } from "../../src/model/config.js";

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
