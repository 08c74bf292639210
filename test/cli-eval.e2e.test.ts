/** End-to-end: `moesweep eval` reproduces the imbalance model's anchors through the real CLI. */
import { describe, expect, it } from "vitest";
import { moesweep, moesweepJson } from "./helpers/cli.js";

const v3 = ["--model", "deepseekv3-671b", "--chip", "tpuv5p"];

describe("moesweep eval --json", () => {
  it("E=256, K=8, f=-1, W=1, EP=8: receiver skew 120832/65280", () => {
    const out = moesweepJson(["eval", ...v3, "--phase", "prefill", "--tensor_parallelism_degree", "8", "--expert_parallelism_degree", "8"]);
    expect(out.receiver_skew as number).toBeCloseTo(120832 / 65280, 14);
    expect(out.experts_on_busiest_device).toBe(32);
  });

  it("E=256, K=8, f=4, W=4, EP=8: receiver skew 4/3", () => {
    const out = moesweepJson(["eval", ...v3, "--tensor_parallelism_degree", "8", "--expert_parallelism_degree", "8", "--expert_load_imbalance_factor", "4", "--num_worst_case_experts", "4"]);
    expect(out.receiver_skew as number).toBeCloseTo(4 / 3, 14);
  });

  it("the issue's own example: E=10, K=2, EP=3 -> D = 4, skew = 2", () => {
    const out = moesweepJson(["eval", ...v3, "--phase", "prefill", "--num_routed_experts", "10", "--num_activated_routed_experts_per_token", "2",
      "--expert_parallelism_degree", "3", "--global_batch_size", "1", "--input_seqlen", "64"]);
    expect(out.experts_on_busiest_device).toBe(4);
    expect(out.receiver_skew as number).toBeCloseTo(2, 14);
    for (const key of ["effective_expert_load_imbalance_factor", "tokens_per_dispatch", "hot_expert_tokens", "remaining_expert_tokens",
      "hot_experts_on_device", "hot_expert_seqlen", "active_remaining_experts", "remaining_expert_seqlen", "config_key",
      "num_routed_experts", "expert_load_imbalance_factor", "num_worst_case_experts", "prefill_time_ns", "phase_time_ns",
      "moe_layer_time_ns", "dispatch_all_to_all_ns", "combine_all_to_all_ns", "hot_experts_ns", "remaining_experts_ns",
      "shared_experts_ns", "router_ns", "attention_ns", "memory_footprint_GB", "out_of_memory"]) {
      expect(out, key).toHaveProperty(key);
    }
  });

  it("f=1, EP=8: skew exactly 1; EP=1: skew exactly 1 whatever f", () => {
    expect(moesweepJson(["eval", ...v3, "--tensor_parallelism_degree", "8", "--expert_parallelism_degree", "8", "--expert_load_imbalance_factor", "1"]).receiver_skew).toBe(1);
    expect(moesweepJson(["eval", ...v3, "--expert_load_imbalance_factor", "16"]).receiver_skew).toBe(1);
  });

  it("T=64 prefill: 1 hot expert on 64 tokens, 255 remaining experts on 2 tokens each", () => {
    const out = moesweepJson(["eval", ...v3, "--phase", "prefill", "--global_batch_size", "1", "--input_seqlen", "64"]);
    expect([out.hot_experts_on_device, out.hot_expert_seqlen, out.active_remaining_experts, out.remaining_expert_seqlen]).toEqual([1, 64, 255, 2]);
  });

  it("T=1 decode: 1 hot expert on 1 token, 7 remaining experts on 1 token", () => {
    const out = moesweepJson(["eval", ...v3, "--phase", "decode", "--global_batch_size", "1"]);
    expect([out.hot_experts_on_device, out.hot_expert_seqlen, out.active_remaining_experts, out.remaining_expert_seqlen]).toEqual([1, 1, 7, 1]);
    expect(out.decode_time_per_token_ns).toBe(24936800); // NeuSim's 24.9368 ms: 1 hot + 7 remaining = its 8 experts on 1 token
    expect(out.prefill_time_ns).toBeNull();
  });

  it("configs differing only in f or W print different config keys", () => {
    const a = moesweepJson(["eval", ...v3]).config_key;
    const b = moesweepJson(["eval", ...v3, "--expert_load_imbalance_factor", "2"]).config_key;
    const c = moesweepJson(["eval", ...v3, "--num_worst_case_experts", "2"]).config_key;
    expect(new Set([a, b, c]).size).toBe(3);
  });
});

describe("moesweep eval errors", () => {
  for (const [args, field] of [
    [["--expert_load_imbalance_factor", "40"], "expert_load_imbalance_factor"],
    [["--num_worst_case_experts", "0"], "num_worst_case_experts"],
    [["--num_activated_routed_experts_per_token", "0"], "num_activated_routed_experts_per_token"],
    [["--chip", "tpuv9"], "chip"],
    [["--input_seqlen", "lots"], "input_seqlen"],
  ] as const) {
    it(`a bad ${field} exits 2 with one line naming it`, () => {
      const r = moesweep(["eval", ...args]);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe("");
      const lines = r.stderr.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(field);
    });
  }
});

describe("moesweep eval --ops", () => {
  it("lists every operator as CSV with NeuSim's descriptions and opcodes", () => {
    const r = moesweep(["eval", ...v3, "--ops", "--csv", "--tensor_parallelism_degree", "8", "--expert_parallelism_degree", "8"]);
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toBe("fusion_index,description,opcode,block,config,count,execution_time_ns,compute_time_ns,memory_time_ns,ici_time_ns,mxu_time_ns,vpu_time_ns,vmem_time_ns,bytes_accessed,flop_count,bounded_by,static_energy_J,dynamic_energy_J,total_energy_J,"
      + "static_energy_sa_J,static_energy_vu_J,static_energy_sram_J,static_energy_hbm_J,static_energy_ici_J,static_energy_other_J,"
      + "dynamic_energy_sa_J,dynamic_energy_vu_J,dynamic_energy_sram_J,dynamic_energy_hbm_J,dynamic_energy_ici_J,dynamic_energy_other_J,"
      + "energy_execution_time_ns,energy_mxu_time_ns,energy_vpu_time_ns,energy_vmem_time_ns,energy_memory_time_ns,energy_ici_time_ns");
    expect(r.stdout).toContain("MoE_Dispatch_AllToAll,AllToAll,dispatch_all_to_all");
    expect(r.stdout).toContain("FFN_routed_expert_most_loaded-Fwd-FFN-encoder-FFgate,Einsum,hot_experts");
    expect(r.stdout).toContain("FFN_routed_expert_remaining-Fwd-FFN-encoder-FFgate,Einsum,remaining_experts");
  });

  it("--power_gating_strategy HW: an operator's energy and wake-up-lengthened times are NeuSim's (its HW per-operator output)", () => {
    const out = moesweepJson(["eval", ...v3, "--ops", "--phase", "decode", "--global_batch_size", "8", "--num_chips", "8",
      "--tensor_parallelism_degree", "8", "--expert_parallelism_degree", "8", "--power_gating_strategy", "HW"]) as { ops: Record<string, number | string>[] };
    const q = out.ops.find((op) => op.description === "Attention-serving-decode-Attention-serving-decode-q_wq_a_linear")!;
    // NeuSim: PE wake-ups lengthen the MXU time 6344 -> 6374 and the VPU's delay triples its 1054; HBM still bounds the op.
    expect([q.mxu_time_ns, q.vpu_time_ns, q.execution_time_ns]).toEqual([6344, 1054, 7464]);
    expect([q.energy_execution_time_ns, q.energy_mxu_time_ns, q.energy_vpu_time_ns]).toEqual([7464, 6374, 3162]);
    expect(q.total_energy_J).toBe(0.0020679084239093332);
    expect(q.static_energy_sa_J).toBe(6.231876835260094e-5);
  });

  it("--json gives the same operators under the key ops", () => {
    const out = moesweepJson(["eval", ...v3, "--ops"]) as { ops: { opcode: string; count: number }[] };
    expect(out.ops.length).toBeGreaterThan(20);
    expect(out.ops[0].opcode).toBe("RMSNorm");
    expect(out.ops[0].count).toBe(61);
  });
});

describe("moesweep eval --energy (NeuSim NoPG energy and carbon)", () => {
  // One chip, EP = 1: the all-to-alls do not depend on f, so this point is NeuSim's own reference
  // configuration (deepseekv3-671b__tpuv5p__nc1_ep1__in4096_out512, totals_power.csv).
  const point = [...v3, "--num_chips", "1", "--num_worst_case_experts", "8", "--expert_load_imbalance_factor", "-1", "--input_seqlen", "4096", "--output_seqlen", "512"];

  it("bs 8 decode: NeuSim's energy per chip, 3-year carbon and energy per token, the same doubles", () => {
    const out = moesweepJson(["eval", ...point, "--phase", "decode", "--global_batch_size", "8", "--energy"]);
    expect(out.energy_per_chip_J).toBe(6995.656948437843);
    expect(out.total_carbon_kgCO2e).toBe(1213.9922383813573);
    expect(out.energy_per_token_J).toBe(1 / 0.4623428289131923);
    expect(out.pg_slowdown).toBe(1);
  });

  it("bs 64 prefill, --lifetime_years 1: NeuSim's 1-year carbon", () => {
    const out = moesweepJson(["eval", ...point, "--phase", "prefill", "--global_batch_size", "64", "--energy", "--lifetime_years", "1"]);
    expect(out.energy_per_chip_J).toBe(190313.6279726721);
    expect(out.total_carbon_kgCO2e).toBe(1383.3738486698908);
    expect(out.embodied_carbon_kgCO2e).toBe(585);
  });

  it("the EP group's energy of imbalance: EP 8 decode at the worst case costs 0.92 % more than balanced", () => {
    const out = moesweepJson(["eval", ...v3, "--phase", "decode", "--tensor_parallelism_degree", "8", "--expert_parallelism_degree", "8", "--global_batch_size", "64", "--energy"]);
    expect(out.imbalance_energy_overhead).toBe(1.0092441387546032);
    expect(out.ep_wait_s).toBe(0.03607296);
    const balanced = moesweepJson(["eval", ...v3, "--phase", "decode", "--tensor_parallelism_degree", "8", "--expert_parallelism_degree", "8", "--global_batch_size", "64",
      "--expert_load_imbalance_factor", "1", "--energy"]);
    expect(balanced.imbalance_energy_overhead).toBe(1);
    expect(out.ep_group_energy_J as number).toBeGreaterThan(balanced.ep_group_energy_J as number);
  });

  it("without --energy there are no energy keys; a bad setting exits 2 naming it and its range", () => {
    expect(moesweepJson(["eval", ...v3])).not.toHaveProperty("energy_per_chip_J");
    const r = moesweep(["eval", ...v3, "--energy", "--PUE", "0.5"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("PUE = 0.5");
    expect(r.stderr).toContain("from 1 to 10");
  });
});
