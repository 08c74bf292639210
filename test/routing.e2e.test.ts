/** End-to-end: routing models and EPLB through the real CLI, deterministic across workers. */
import { describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { moesweep } from "./helpers/cli.js";

const evalJson = (args: string[]) => {
  const r = moesweep(["eval", ...args, "--json"]);
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, number>;
};

describe("routing models through the CLI", () => {
  it("eval on a measured file with all load on one expert equals worst_case f = E/K, W = 1", () => {
    const dir = mkdtempSync(join(tmpdir(), "moesweep-route-"));
    const file = join(dir, "one-hot.json");
    writeFileSync(file, JSON.stringify([1000, ...new Array(255).fill(0)]));
    for (const phase of ["prefill", "decode"]) {
      const common = ["--phase", phase, "--tensor_parallelism_degree", "8", "--expert_parallelism_degree", "8", "--global_batch_size", "8", "--input_seqlen", "512"];
      const measured = evalJson([...common, "--expert_load_model", "measured", "--expert_load_file", file]);
      const worst = evalJson([...common, "--expert_load_imbalance_factor", "-1", "--num_worst_case_experts", "1"]);
      for (const k of ["phase_time_ns", "moe_layer_time_ns", "hot_expert_seqlen", "active_remaining_experts"]) expect(measured[k], k).toBe(worst[k]);
      expect(measured.receiver_skew).toBeCloseTo(worst.receiver_skew, 13);
    }
  });

  it("a bad routing configuration exits 2 naming the field", () => {
    const r = moesweep(["eval", "--num_redundant_experts", "8", "--expert_parallelism_degree", "8", "--tensor_parallelism_degree", "8"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/num_redundant_experts = 8: redundant experts need an eplb_policy/);
    const m = moesweep(["eval", "--expert_load_model", "measured"]);
    expect(m.status).toBe(2);
    expect(m.stderr).toMatch(/expert_load_file/);
    const shape = moesweep(["eval", "--eplb_policy", "auto", "--num_redundant_experts", "3", "--expert_parallelism_degree", "8", "--tensor_parallelism_degree", "8"]);
    expect(shape.stderr).toMatch(/must be a multiple of expert_parallelism_degree/);
  });

  it("a sweep over load models and EPLB gives the same bytes on 1 or 2 workers and any chunk size", () => {
    const dir = mkdtempSync(join(tmpdir(), "moesweep-route-"));
    writeFileSync(join(dir, "loads.csv"), "load\n" + Array.from({ length: 256 }, (_, i) => String(256 - i)).join("\n") + "\n");
    const spec = join(dir, "routing.yaml");
    writeFileSync(spec, [
      "name: routing", "base:", "  tensor_parallelism_degree: 8", "  num_chips: 8", "  global_batch_size: 4", "  input_seqlen: 256", "  routing_samples: 8",
      "grid:", "  phase: [prefill, decode]", "  expert_parallelism_degree: [4, 8]",
      "zip:", "  - expert_load_model: [worst_case, uniform, zipf, power_law, measured]", "    expert_load_file: ['', '', '', '', loads.csv]",
      "  - eplb_policy: [none, auto]", "    num_redundant_experts: [0, 8]", "",
    ].join("\n"));
    const outs = [["1", "1000"], ["2", "3"]].map(([w, c]) => {
      const out = join(dir, `out-${w}-${c}`);
      const r = moesweep(["run", spec, "--out", out, "--workers", w, "--chunk-size", c, "--quiet"]);
      expect(r.status, r.stderr).toBe(0);
      return readFileSync(join(out, "results.csv"), "utf8");
    });
    expect(outs[1]).toBe(outs[0]);
    const rows = parse(outs[0], { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(2 * 2 * 5 * 2);
    for (const r of rows) {
      expect(Number(r.s_eq)).toBeGreaterThanOrEqual(1);
      if (r.eplb_policy === "auto") expect(Number(r.eplb_busiest_device_load_ratio)).toBeLessThanOrEqual(1);
    }
  });
});
