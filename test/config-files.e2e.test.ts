/**
 * End-to-end: NeuSim's own chip and model config files as `--chip` / `--model`
 * values, in a spec's base and as axis values; NeuSim's defaults for missing
 * fields; errors that name the file and the field.
 */
import { describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { ROOT, moesweep } from "./helpers/cli.js";

const CONFIGS = join(ROOT, "test", "fixtures", "neusim-configs");
const CHIP_FILE = join(CONFIGS, "tpuv5p-hbm4000-vmem64.json");
const MODEL_FILE = join(CONFIGS, "deepseekv2-236b.json");
const tmp = () => mkdtempSync(join(tmpdir(), "moesweep-cfg-"));

function evalJson(args: string[]): Record<string, unknown> {
  const r = moesweep(["eval", ...args, "--json"]);
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

/** Every output and every non-identity field; config_key and the chip/model name differ by design. */
function withoutIdentity(o: Record<string, unknown>): Record<string, unknown> {
  const { config_key: _k, chip: _c, model: _m, ...rest } = o;
  return rest;
}

describe("NeuSim config files", () => {
  for (const phase of ["prefill", "decode"]) {
    it(`a chip file differing from tpuv5p in two fields equals --chip tpuv5p with those two fields as flags (${phase})`, () => {
      const common = ["--phase", phase, "--tensor_parallelism_degree", "8", "--expert_parallelism_degree", "8"];
      const fromFile = evalJson(["--chip", CHIP_FILE, ...common]);
      const fromFlags = evalJson(["--chip", "tpuv5p", "--hbm_bw_GBps", "4000", "--vmem_size_MB", "64", ...common]);
      const plain = evalJson(["--chip", "tpuv5p", ...common]);
      expect(withoutIdentity(fromFile)).toEqual(withoutIdentity(fromFlags));
      expect(fromFile.chip).toBe(CHIP_FILE);
      expect(fromFile.hbm_bw_GBps).toBe(4000);
      expect(fromFile.phase_time_ns).not.toBe(plain.phase_time_ns);
    });
  }

  it("NeuSim's own model file equals the catalog entry", () => {
    const fromFile = evalJson(["--model", MODEL_FILE, "--phase", "decode"]);
    const catalog = evalJson(["--model", "deepseekv2-236b", "--phase", "decode"]);
    expect(withoutIdentity(fromFile)).toEqual(withoutIdentity(catalog));
  });

  it("a chip file's power constants drive the energy columns (ChipConfig's defaults for the ones it leaves out)", () => {
    const dir = tmp();
    const v5p = JSON.parse(readFileSync(CHIP_FILE, "utf8")) as Record<string, unknown>;
    const same = join(dir, "v5p.json"), greener = join(dir, "greener.json");
    writeFileSync(same, JSON.stringify({ ...v5p, hbm_bw_GBps: 2765, vmem_size_MB: 128 }));
    writeFileSync(greener, JSON.stringify({ ...v5p, hbm_bw_GBps: 2765, vmem_size_MB: 128, static_power_other_W: 20, embodied_carbon_kgCO2: 1000 }));
    const common = ["--phase", "decode", "--tensor_parallelism_degree", "8", "--energy"];
    const catalog = evalJson(["--chip", "tpuv5p", ...common]);
    expect(withoutIdentity(evalJson(["--chip", same, ...common]))).toEqual(withoutIdentity(catalog));
    const g = evalJson(["--chip", greener, ...common]);
    expect(g.embodied_carbon_kgCO2e).toBe(8 * 1000);
    expect(g.phase_time_ns).toBe(catalog.phase_time_ns);
    expect(g.other_energy_per_chip_J as number).toBeCloseTo((catalog.other_energy_per_chip_J as number) * (20 / 44.82811018), 9);
    expect(g.sa_energy_per_chip_J).toBe(catalog.sa_energy_per_chip_J);
  });

  it("missing chip fields take NeuSim's ChipConfig defaults", () => {
    const dir = tmp();
    const f = join(dir, "minimal.json");
    writeFileSync(f, JSON.stringify({ name: "x", num_sa: 4 }));
    const o = evalJson(["--chip", f]);
    expect(o).toMatchObject({ num_sa: 4, freq_GHz: 1.75, hbm_bw_GBps: 2765, ici_latency_ns: 3330, ICI_topology: "TORUS_3D", use_vu_for_small_matmul: true });
  });

  it("bad files exit 2 naming the file and the field", () => {
    const dir = tmp();
    const cases: [string, unknown, RegExp][] = [
      ["bad-type.json", { num_sa: "eight" }, /bad-type\.json: num_sa = "eight": must be an integer/],
      ["bad-topology.json", { ICI_topology: "RING" }, /ICI_topology = "RING": must be one of TORUS_2D, TORUS_3D/],
      ["typo.json", { num_sas: 8 }, /typo\.json: num_sas is not a NeuSim chip config field/],
    ];
    for (const [name, content, msg] of cases) {
      const f = join(dir, name);
      writeFileSync(f, JSON.stringify(content));
      const r = moesweep(["eval", "--chip", f]);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(msg);
    }
    const notJson = join(dir, "broken.json");
    writeFileSync(notJson, "{");
    expect(moesweep(["eval", "--chip", notJson]).stderr).toMatch(/broken\.json: not valid JSON/);
    expect(moesweep(["eval", "--chip", join(dir, "absent.json")]).stderr).toMatch(/absent\.json: cannot read the NeuSim config file \(ENOENT\)/);
    const noMla = join(dir, "model.json");
    writeFileSync(noMla, JSON.stringify({ ffn_type: "deepseek_moe", d_model: 1024 })); // a DeepSeek model needs its MLA ranks
    expect(moesweep(["eval", "--model", noMla]).stderr).toMatch(/model\.json: q_lora_rank is missing \(NeuSim has no default for it\)/);
  });

  it("a spec sweeps catalog chips and chip files on one axis (paths relative to the spec), and runs on workers", () => {
    const dir = tmp();
    writeFileSync(join(dir, "fast.json"), readFileSync(CHIP_FILE));
    const spec = join(dir, "files.yaml");
    writeFileSync(spec, "name: files\nbase:\n  model: deepseekv3-671b\n  tensor_parallelism_degree: 8\ngrid:\n  chip: [tpuv5p, fast.json]\n  phase: [prefill, decode]\n");
    const out = join(dir, "out");
    const r = moesweep(["run", spec, "--out", out, "--workers", "2", "--chunk-size", "1", "--quiet"]);
    expect(r.status, r.stderr).toBe(0);
    const rows = parse(readFileSync(join(out, "results.csv")), { columns: true }) as Record<string, string>[];
    expect(rows.map((row) => row.chip)).toEqual(["tpuv5p", "tpuv5p", "fast.json", "fast.json"]);
    const flags = evalJson(["--chip", "tpuv5p", "--hbm_bw_GBps", "4000", "--vmem_size_MB", "64", "--tensor_parallelism_degree", "8", "--phase", "decode"]);
    expect(Number(rows[3].phase_time_ns)).toBe(flags.phase_time_ns);
    expect(JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")).spec.config_files.chips["fast.json"].hbm_bw_GBps).toBe(4000);
  });
});

describe("Hugging Face config.json files", () => {
  const mixtral = { model_type: "mixtral", architectures: ["MixtralForCausalLM"], hidden_size: 4096, num_attention_heads: 32, num_key_value_heads: 8, num_hidden_layers: 32,
    num_local_experts: 8, num_experts_per_tok: 2, intermediate_size: 14336, vocab_size: 32000, rms_norm_eps: 1e-5, rope_theta: 1e6, torch_dtype: "bfloat16" };

  it("--model config.json of a Mixtral equals the catalog's mixtral-8x7b", () => {
    const dir = tmp();
    const f = join(dir, "config.json");
    writeFileSync(f, JSON.stringify(mixtral));
    for (const phase of ["prefill", "decode"]) {
      const common = ["--phase", phase, "--num_chips", "8", "--tensor_parallelism_degree", "8", "--expert_parallelism_degree", "8", "--global_batch_size", "8", "--input_seqlen", "1024"];
      expect(withoutIdentity(evalJson(["--model", f, ...common]))).toEqual(withoutIdentity(evalJson(["--model", "mixtral-8x7b", ...common])));
    }
  });

  it("what the cost model cannot represent is an error naming the file and the field", () => {
    const dir = tmp();
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ ...mixtral, model_type: "phimoe" }, /model_type = "phimoe": moesweep can cost deepseek_v3, .*llama/],
      [{ model_type: "qwen3_moe", hidden_size: 2048, num_attention_heads: 32, num_hidden_layers: 48, num_experts: 128, num_experts_per_tok: 8, moe_intermediate_size: 768, intermediate_size: 6144, vocab_size: 151936, mlp_only_layers: [0, 5] },
        /mlp_only_layers = \[0,5\]: layer lists other than a dense prefix and an interval cannot be represented/],
      [{ ...mixtral, num_local_experts: undefined }, /num_local_experts = undefined: must be a whole number \(required\)/],
    ];
    cases.forEach(([content, msg], i) => {
      const f = join(dir, `c${i}.json`);
      writeFileSync(f, JSON.stringify(content));
      const r = moesweep(["eval", "--model", f]);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(msg);
    });
  });
});
