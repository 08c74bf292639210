/** End-to-end: a sweep over every catalog model runs with no failed point, and every model yields results. */
import { expect, it } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { MODEL_IDS } from "../src/model/catalog/models.js";
import { moesweep } from "./helpers/cli.js";

it("every catalog model, prefill and decode, EP 1 and 8: 0 failed points", () => {
  const dir = mkdtempSync(join(tmpdir(), "moesweep-models-"));
  const spec = join(dir, "models.yaml");
  writeFileSync(spec, [
    "name: models", "base:", "  chip: tpuv5p", "  num_chips: 16", "  tensor_parallelism_degree: 16", "  global_batch_size: 8", "  input_seqlen: 2048", "  output_seqlen: 64",
    "grid:", `  model: [${MODEL_IDS.join(", ")}]`, "  phase: [prefill, decode]", "  expert_parallelism_degree: [1, 8]", "  expert_load_imbalance_factor: [1, -1]", "",
  ].join("\n"));
  const out = join(dir, "out");
  const r = moesweep(["run", spec, "--out", out, "--workers", "2", "--quiet"]);
  expect(r.status, r.stderr).toBe(0);
  const m = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8"));
  expect(m.points.failed).toBe(0);
  const rows = parse(readFileSync(join(out, "results.csv")), { columns: true }) as Record<string, string>[];
  expect(new Set(rows.map((x) => x.model))).toEqual(new Set(MODEL_IDS));
  for (const row of rows) expect(Number(row.phase_time_ns)).toBeGreaterThan(0);
  // Dense models have no experts to spread: their EP = 8 points are invalid (EP <= E), not failed.
  const errors = parse(readFileSync(join(out, "errors.csv")), { columns: true }) as Record<string, string>[];
  for (const e of errors) {
    expect(e.kind).toBe("invalid");
    expect(JSON.parse(e.config).model).toMatch(/^llama[23]/);
  }
});
