/** End-to-end: `moesweep plan`, `moesweep schema` and the top-level help. */
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { ROOT, moesweep } from "./helpers/cli.js";

const SMALL = join(ROOT, "test", "fixtures", "sweeps", "small.yaml");

describe("moesweep plan", () => {
  it("counts points, filtered and invalid ones (grouped by reason), and shows the first points", () => {
    const r = moesweep(["plan", SMALL]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^small: 96 points over 5 axes \(phase: 2, expert_parallelism_degree: 3, expert_load_imbalance_factor: 4, num_worst_case_experts: 2, num_chips\+tensor_parallelism_degree: 2\)/);
    expect(r.stdout).toMatch(/dropped by where: 8\n/);
    expect(r.stdout).toMatch(/invalid for the model: 22\n {4}22 x expert_load_imbalance_factor: must be -1 \(worst case\) or in \[1, E\/K = 32\]/);
    expect(r.stdout).toMatch(/to evaluate: 66/);
    expect(r.stdout).toMatch(/first 5 points/);
  });

  it("--json gives the same counts", () => {
    const out = JSON.parse(moesweep(["plan", SMALL, "--json"]).stdout);
    expect(out).toMatchObject({ name: "small", points: 96, filtered: 8, invalid: 22, to_evaluate: 66, exact: true });
    expect(out.first_points[0]).toMatchObject({ phase: "prefill", expert_parallelism_degree: 1, num_chips: 8 });
  });

  it("a 100-million-point grid plans at once (estimated from a sample)", () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    const spec = JSON.stringify({ name: "huge", grid: { input_seqlen: values, output_seqlen: values, global_batch_size: values, decode_width: values } });
    const path = join(mkdtempSync(join(tmpdir(), "moesweep-plan-")), "huge.json");
    writeFileSync(path, spec);
    const t0 = Date.now();
    const r = moesweep(["plan", path]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^huge: 100000000 points/);
    expect(r.stdout).toMatch(/estimated from 200000 evenly spaced points/);
    expect(Date.now() - t0).toBeLessThan(60_000);
    rmSync(path);
  });
});

describe("moesweep schema", () => {
  it("prints a JSON Schema of spec files that names every config field", () => {
    const r = moesweep(["schema"]);
    expect(r.status).toBe(0);
    const schema = JSON.parse(r.stdout);
    expect(schema.type).toBe("object");
    expect(schema.required).toEqual(["name"]);
    expect(Object.keys(schema.properties)).toEqual(["name", "description", "base", "grid", "zip", "where", "columns", "keep", "config_key"]);
    expect(schema.properties.grid.properties).toHaveProperty("expert_load_imbalance_factor");
    // A chip is a catalog name or a NeuSim chip file.
    expect(schema.properties.base.properties.chip.anyOf[0].enum).toContain("tpuv5p");
    expect(schema.properties.base.properties.chip.anyOf[1].pattern).toBe("\\.json$");
  });
});

describe("moesweep --help", () => {
  it("lists every command", () => {
    const r = moesweep(["--help"]);
    expect(r.status).toBe(0);
    for (const c of ["run <spec>", "plan <spec>", "merge <dirs..>", "compare <baseline> <candidate>", "figures <results>", "eval", "schema"]) {
      expect(r.stdout).toContain(`moesweep ${c}`);
    }
  });
  it("an unknown command or option exits 2", () => {
    expect(moesweep(["frobnicate"]).status).toBe(2);
    expect(moesweep(["run", SMALL, "--wrokers", "2"]).status).toBe(2);
  });
});

describe("every shipped sweep (sweeps/ and sweeps/paper/)", () => {
  const specs = [
    ...readdirSync(join(ROOT, "sweeps")).filter((f) => f.endsWith(".yaml")).map((f) => join(ROOT, "sweeps", f)),
    ...readdirSync(join(ROOT, "sweeps", "paper")).filter((f) => f.endsWith(".yaml")).map((f) => join(ROOT, "sweeps", "paper", f)),
  ];
  it("there are the default, regression and 9 paper sweeps", () => expect(specs).toHaveLength(11));
  it.each(specs)("%s plans, with no point the model rejects", (spec) => {
    const r = moesweep(["plan", spec, "--json"]);
    expect(r.status, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout) as { invalid: number; to_evaluate: number };
    expect(plan.invalid).toBe(0);
    expect(plan.to_evaluate).toBeGreaterThan(0);
  });
});
