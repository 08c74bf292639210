/** End-to-end: a sweep over pp in {1, 2, 4} through the real CLI keeps phase time = pp x (stage + pipeline ICI). */
import { expect, it } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { moesweep } from "./helpers/cli.js";

it("sweeping pipeline_parallelism_degree over {1, 2, 4}: the phase-time identity holds on every row, and NeuSim's verdict is a column", () => {
  const dir = mkdtempSync(join(tmpdir(), "moesweep-pp-"));
  const spec = join(dir, "pp.yaml");
  writeFileSync(spec, [
    "name: pp", "base:", "  chip: tpuv5p", "  tensor_parallelism_degree: 4", "  input_seqlen: 1000", "  output_seqlen: 64",
    "grid:", "  model: [deepseekv3-671b, deepseekv2-236b]", "  phase: [prefill, decode]", "  pipeline_parallelism_degree: [1, 2, 4]",
    "  global_batch_size: [2, 8]", "  expert_parallelism_degree: [1, 4]", "  expert_load_imbalance_factor: [1, -1]", "",
  ].join("\n"));
  const out = join(dir, "out");
  const r = moesweep(["run", spec, "--out", out, "--workers", "2", "--quiet"]);
  expect(r.status, r.stderr).toBe(0);
  const rows = parse(readFileSync(join(out, "results.csv")), { columns: true }) as Record<string, string>[];
  expect(rows).toHaveLength(96);
  for (const row of rows) {
    const pp = Number(row.pipeline_parallelism_degree);
    expect(Number(row.phase_time_ns)).toBe(pp * (Number(row.stage_time_ns) + Number(row.pipeline_ici_ns)));
    expect(Number(row.pipeline_ici_ns) === 0).toBe(pp === 1);
  }
  // dp x pp > batch: batch 2 with pp 4 is flagged, not silently accepted.
  const flagged = rows.filter((row) => row.global_batch_size === "2" && row.pipeline_parallelism_degree === "4");
  expect(flagged.length).toBeGreaterThan(0);
  for (const row of flagged) {
    expect(row.neusim_valid).toBe("false");
    expect(row.neusim_reason).toMatch(/since dp \* dp_dcn \* pp \* pp_dcn > global batch size$/);
  }
  // `where: neusim_valid` keeps exactly the rows NeuSim would run; the rest count as filtered.
  writeFileSync(spec, readFileSync(spec, "utf8").replace("grid:", "where: neusim_valid\ngrid:"));
  const kept = join(dir, "kept");
  expect(moesweep(["run", spec, "--out", kept, "--quiet"]).status).toBe(0);
  const keptRows = parse(readFileSync(join(kept, "results.csv")), { columns: true }) as Record<string, string>[];
  expect(keptRows.map((row) => row.point_index)).toEqual(rows.filter((row) => row.neusim_valid === "true").map((row) => row.point_index));
  expect(JSON.parse(readFileSync(join(kept, "manifest.json"), "utf8")).points.filtered).toBe(rows.length - keptRows.length);
  expect(keptRows.length).toBeGreaterThan(0);
  // A longer pipeline makes each stage shorter.
  const at = (pp: string) => rows.find((row) => row.model === "deepseekv3-671b" && row.phase === "prefill" && row.global_batch_size === "8" && row.expert_parallelism_degree === "4" && row.expert_load_imbalance_factor === "1" && row.pipeline_parallelism_degree === pp)!;
  expect(Number(at("2").stage_time_ns)).toBeLessThan(Number(at("1").stage_time_ns));
});
