/**
 * End-to-end: `moesweep slo` over a real sweep of DeepSeek-V3 on v5p (16, 32, 64 chips),
 * balanced and imbalanced, and its errors.
 */
import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { moesweep, runSpecText } from "./helpers/cli.js";

const dir = mkdtempSync(join(tmpdir(), "moesweep-slo-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (spec: string, name: string) => runSpecText(dir, name, spec);

const SPEC = `name: slo
base: { model: deepseekv3-671b, chip: tpuv5p, phase: prefill, input_seqlen: 4096, tensor_parallelism_degree: 8, num_worst_case_experts: 1 }
zip:
  - { num_chips: [16, 32, 64], data_parallelism_degree: [2, 4, 8], expert_parallelism_degree: [16, 32, 64] }
grid: { global_batch_size: [1, 8, 64], expert_load_imbalance_factor: [1, 4] }
columns: [prefill_time_ns, decode_time_per_token_ns, out_of_memory, throughput_tokens_per_sec, energy_per_token_J, system_avg_power_W]
`;

describe("moesweep slo", () => {
  const results = run(SPEC, "slo");
  const slo = moesweep(["slo", join(dir, "slo"), "--csv", "--scales", "1,2"]);
  const rows = parse(slo.stdout, { columns: true }) as Record<string, string>[];
  const at = (f: string, scale: string) => rows.find((r) => r.expert_load_imbalance_factor === f && r.slo_scale === scale)!;
  const result = (chips: string, batch: string, f: string) => results.find((r) => r.num_chips === chips && r.global_batch_size === batch && r.expert_load_imbalance_factor === f)!;

  it("prints one row per f and SLO scale on the sweep's chip", () => {
    expect(slo.status, slo.stderr).toBe(0);
    expect(rows.map((r) => [r.expert_load_imbalance_factor, r.slo_scale, r.chip])).toEqual([
      ["1", "1", "tpuv5p"], ["1", "2", "tpuv5p"], ["4", "1", "tpuv5p"], ["4", "2", "tpuv5p"],
    ]);
  });

  it("the SLO is NeuSim's reference: the fewest fitting v5p chips at batch 1 (16, balanced), its TTFT, x scale, for every f", () => {
    const ttft = Number(result("16", "1", "1").prefill_time_ns) / 1e9;
    expect(result("16", "1", "1").out_of_memory).toBe("false");
    expect(Number(at("1", "1").ref_TTFT_sec)).toBe(ttft);
    expect(Number(at("4", "1").ref_TTFT_sec)).toBe(ttft);
    expect(Number(at("4", "2").ref_TTFT_sec)).toBe(ttft * 2);
    expect(at("4", "1").slo_reference).toBe("balanced (f = 1)");
  });

  it("answers the provisioning question: at f = 4 no configuration meets the balanced SLO at scale 1 (0 chips), at scale 2 the fewest chips do", () => {
    expect(at("1", "1").min_num_chips).toBe("16");
    expect(at("4", "1").min_num_chips).toBe("0");
    expect(at("4", "1").balanced_min_num_chips).toBe("16");
    const meets = results.filter((r) => r.expert_load_imbalance_factor === "4" && r.out_of_memory === "false" && Number(r.prefill_time_ns) / 1e9 <= 2 * Number(at("1", "1").ref_TTFT_sec));
    expect(at("4", "2").min_num_chips).toBe(String(Math.min(...meets.map((r) => Number(r.num_chips)))));
  });

  it("each pick names a result row by config_key, and its numbers are that row's", () => {
    for (const r of rows.filter((x) => x.min_num_chips !== "0")) {
      const best = results.find((x) => x.config_key === r.optimal_energy_eff_config_key)!;
      expect(Number(r.optimal_energy_eff_joule_per_good)).toBe(Number(best.energy_per_token_J));
      expect(Number(r.optimal_energy_eff_num_chips)).toBe(Number(best.num_chips));
      const tput = results.find((x) => x.config_key === r.optimal_config_key)!;
      expect(Number(r.optimal_throughput_per_chip)).toBe(Number(tput.throughput_tokens_per_sec) / Number(tput.num_chips));
    }
  });

  it("the summary table names the same picks", () => {
    const t = moesweep(["slo", join(dir, "slo"), "--markdown", "--scales", "1"]);
    expect(t.status, t.stderr).toBe(0);
    expect(t.stdout.split("\n")[0]).toContain("| min_num_chips | balanced_min_num_chips |");
  });
});

it("fills the config fields a sweep did not write (num_chips derived, as the run did)", () => {
  run(`name: small
base: { model: qwen3-30b-a3b, chip: tpuv5p, phase: decode }
grid: { global_batch_size: [1, 8] }
columns: [decode_time_per_token_ns, prefill_time_ns, out_of_memory, throughput_tokens_per_sec, energy_per_token_J, system_avg_power_W]
`, "small");
  const r = moesweep(["slo", join(dir, "small"), "--csv", "--scales", "1"]);
  expect(r.status, r.stderr).toBe(0);
  const [row] = parse(r.stdout, { columns: true }) as Record<string, string>[];
  expect([row.min_num_chips, row.optimal_num_chips]).toEqual(["1", "1"]);
  expect(Number(row.optimal_cost_total_memory_capacity_GB)).toBe(95); // one v5p's HBM, from the catalog
});

describe("moesweep slo errors (exit 2, one line)", () => {
  it("names the missing energy columns and how to add them", () => {
    run(`name: plain
base: { phase: decode, tensor_parallelism_degree: 8 }
grid: { global_batch_size: [1, 8] }
`, "plain");
    const r = moesweep(["slo", join(dir, "plain")]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no column throughput_tokens_per_sec, energy_per_token_J, system_avg_power_W; .*columns:/);
  });
  it("says when no point can set the SLO reference", () => {
    const r = moesweep(["slo", join(dir, "slo"), "--reference-chip", "tpuv6p"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("no point on tpuv6p at global_batch_size 1 fits in memory");
  });
  it("rejects a bad scale", () => {
    const r = moesweep(["slo", join(dir, "slo"), "--scales", "1,x"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("--scales");
  });
});
