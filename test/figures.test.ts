/** Figures: each kind renders from a small committed result set to a well-formed SVG with the expected marks and axis titles. */
import { describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv } from "ajv";
import { buildFigures, KIND_NAMES } from "../src/report/figures/render.js";
import { ROOT, moesweep } from "./helpers/cli.js";

const fixture = (kind: string) => join(ROOT, "test", "fixtures", "figures", kind);
const count = (svg: string, role: string) => svg.split(`aria-roledescription="${role}"`).length - 1;
const axisTitles = (svg: string) => [...svg.matchAll(/class="mark-text role-axis-title"[^]*?<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);

function expectWellFormed(svg: string): void {
  expect(svg.startsWith("<svg")).toBe(true);
  expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
  const opened = (svg.match(/<g[\s>]/g) ?? []).length;
  const closed = (svg.match(/<\/g>/g) ?? []).length;
  expect(opened).toBe(closed);
  expect(svg).not.toMatch(/NaN|undefined/);
}

const schema = JSON.parse(readFileSync(join(ROOT, "node_modules", "vega-lite", "build", "vega-lite-schema.json"), "utf8"));
const ajv = new Ajv({ allErrors: true, strict: false });
const validate = ajv.compile(schema);

const expected: Record<string, { marks: [string, number][]; titles: string[] }> = {
  skew: { marks: [["line mark", 12], ["point", 72]], titles: ["Imbalance factor f (log scale)", "Receiver skew (log scale)"] },
  breakdown: { marks: [["bar", 48 * 7]], titles: ["Imbalance factor f", "Time per layer (µs)"] },
  latency: { marks: [["line mark", 8], ["point", 40]], titles: ["Imbalance factor f (log scale)", "Slowdown over balanced (x)"] },
  heatmap: { marks: [["rect mark", 60], ["text mark", 60]], titles: ["Expert parallelism (EP)", "Imbalance factor f"] },
  alltoall: { marks: [["line mark", 10], ["point", 60]], titles: ["Imbalance factor f (log scale)", "All-to-all time over balanced (x)"] },
  "moe-by-w": { marks: [["line mark", 12], ["point", 54]], titles: ["Imbalance factor f (log scale)", "MoE layer time over balanced (x)"] },
  // 2 phases x (7 load models x 2 EPLB settings - the balanced case with EPLB); 140 rows less those 10.
  routing: { marks: [["line mark", 26], ["point", 130]], titles: ["Expert parallelism (EP, log scale)", "MoE layer time over balanced (x)"] },
  // 2 metrics x 2 EP x 4 power-gating settings; 48 points x 2 metrics.
  energy: { marks: [["line mark", 16], ["point", 96]], titles: ["Imbalance factor f (log scale)"] },
};

describe.each(KIND_NAMES)("figure %s", (kind) => {
  it("renders to a well-formed SVG with the expected marks and axis titles", async () => {
    const { figures: [fig] } = await buildFigures(fixture(kind), [kind]);
    expectWellFormed(fig.svg);
    for (const [role, n] of expected[kind].marks) expect(count(fig.svg, role), role).toBe(n);
    expect(new Set(axisTitles(fig.svg))).toEqual(new Set(expected[kind].titles));
  });

  it("its vega-lite spec validates against the vega-lite JSON schema", async () => {
    const { figures: [fig] } = await buildFigures(fixture(kind), [kind]);
    const ok = validate(fig.spec);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });
});

describe("figure content", () => {
  it("skew: the worst-case point of EP = 8, W = 1 sits at 120832/65280", async () => {
    const { figures: [fig] } = await buildFigures(fixture("skew"), ["skew"]);
    const values = (fig.spec as { data: { values: { EP: number; W: string; f: number; skew: number }[] } }).data.values;
    const p = values.find((v) => v.EP === 8 && v.W === "W = 1" && v.f === 32)!;
    expect(p.skew).toBeCloseTo(120832 / 65280, 12);
  });

  it("heatmap: balanced cells are exactly 1 and the slice is named in the subtitle", async () => {
    const { figures: [fig] } = await buildFigures(fixture("heatmap"), ["heatmap"]);
    const values = (fig.spec as { data: { values: { f: string; slowdown: number }[] } }).data.values;
    expect(values.filter((v) => v.f === "1").every((v) => v.slowdown === 1)).toBe(true);
  });

  it("energy: the group's overhead is exactly 1 at f = 1 under every setting, and gating lowers energy per token", async () => {
    const { figures: [fig] } = await buildFigures(fixture("energy"), ["energy"]);
    const values = (fig.spec as { data: { values: { metric: string; f: number; EPn: number; setting: string; value: number }[] } }).data.values;
    const overhead = values.filter((v) => v.metric.startsWith("EP group"));
    expect(overhead.filter((v) => v.f === 1).map((v) => v.value)).toEqual(Array(8).fill(1));
    const perToken = (setting: string) => values.find((v) => v.metric.startsWith("Energy per token") && v.f === 1 && v.EPn === 8 && v.setting === setting)!.value;
    for (const s of ["HW", "Full", "Ideal"]) expect(perToken(s)).toBeLessThan(perToken("NoPG"));
  });

  it("latency: an unbalanced-only result set is refused with the reason", async () => {
    const dir = mkdtempSync(join(tmpdir(), "moesweep-fig-"));
    const text = readFileSync(join(fixture("latency"), "results.csv"), "utf8").split("\n");
    const fCol = text[0].split(",").indexOf("expert_load_imbalance_factor");
    writeFileSync(join(dir, "results.csv"), [text[0], ...text.slice(1).filter((l) => l && l.split(",")[fCol] !== "1")].join("\n") + "\n");
    await expect(buildFigures(dir, ["latency"])).rejects.toThrow(/needs expert_load_imbalance_factor = 1/);
  });
});

describe("a large result set", () => {
  it("streams: 60 points x 2000 batch sizes draw the same heatmap as the 60 points, the batch named in the caption", async () => {
    // The fixture's 60 rows, repeated for 2000 batch sizes (120,000 rows); the heatmap holds the batch at its first value.
    const [header, ...body] = readFileSync(join(fixture("heatmap"), "results.csv"), "utf8").trim().split("\n");
    const batchCol = header.split(",").indexOf("global_batch_size");
    const dir = mkdtempSync(join(tmpdir(), "moesweep-fig-"));
    const lines = [header];
    for (let b = 8; b < 8 + 2000; b++) for (const l of body) lines.push(l.split(",").map((v, i) => (i === batchCol ? String(b) : v)).join(","));
    writeFileSync(join(dir, "results.csv"), lines.join("\n") + "\n");
    const big = (await buildFigures(dir, ["heatmap"])).figures[0].spec as { data: { values: unknown[] }; title: { subtitle: string[] } };
    const small = (await buildFigures(fixture("heatmap"), ["heatmap"])).figures[0].spec as { data: { values: unknown[] } };
    expect(JSON.stringify(big.data.values)).toBe(JSON.stringify(small.data.values)); // vega tags each datum with its own id
    expect(big.title.subtitle.join(" ")).toContain("Picked global_batch_size = 8 (of 8, 9, 10, 11, 12, 13, ...)");
  });
});

describe("moesweep figures (CLI)", () => {
  it("writes <kind>.svg and <kind>.vl.json", () => {
    const out = mkdtempSync(join(tmpdir(), "moesweep-fig-"));
    const r = moesweep(["figures", fixture("breakdown"), "--kind", "breakdown", "--out", out]);
    expect(r.status).toBe(0);
    expect(readdirSync(out).sort()).toEqual(["breakdown.svg", "breakdown.vl.json"]);
    expect(JSON.parse(readFileSync(join(out, "breakdown.vl.json"), "utf8")).$schema).toMatch(/vega-lite\/v6/);
  });

  it("without --kind draws every kind the columns allow", () => {
    const out = mkdtempSync(join(tmpdir(), "moesweep-fig-"));
    const r = moesweep(["figures", fixture("heatmap"), "--out", out]);
    expect(r.status).toBe(0);
    expect(readdirSync(out)).toContain("heatmap.svg");
    expect(readdirSync(out)).toContain("breakdown.svg");
  });

  it("missing columns: exit 2, a message naming the columns and the sweep to run, nothing written", () => {
    const dir = mkdtempSync(join(tmpdir(), "moesweep-fig-"));
    const lines = readFileSync(join(fixture("breakdown"), "results.csv"), "utf8").split("\n");
    const keep = [0, 1, 2, 3, 4];
    writeFileSync(join(dir, "results.csv"), lines.filter(Boolean).map((l) => l.split(",").filter((_, i) => keep.includes(i)).join(",")).join("\n") + "\n");
    const out = join(dir, "figs");
    mkdirSync(out);
    const r = moesweep(["figures", dir, "--kind", "skew", "--out", out]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/the skew figure needs columns .*receiver_skew.*; run sweeps\/paper\/skew\.yaml/);
    expect(readdirSync(out)).toEqual([]);
    expect(existsSync(join(out, "skew.svg"))).toBe(false);
  });
});

describe("figure kind names", () => {
  it("are the eight documented kinds, in the order help and README list them", () => {
    expect(KIND_NAMES).toEqual(["skew", "breakdown", "latency", "heatmap", "alltoall", "moe-by-w", "routing", "energy"]);
  });
});

describe("figures you can slice", () => {
  let small: string;
  /** A sweep with two fields a heatmap does not show: W and the batch. */
  const runSmall = () => {
    if (!small) {
      const dir = mkdtempSync(join(tmpdir(), "moesweep-fig-"));
      writeFileSync(join(dir, "slice.yaml"), "name: slice\nbase:\n  model: deepseekv3-671b\n  chip: tpuv5p\n  num_chips: 32\n  tensor_parallelism_degree: 32\n  input_seqlen: 1024\n" +
        "grid:\n  global_batch_size: [1, 8]\n  phase: [prefill, decode]\n  expert_parallelism_degree: [1, 4, 8]\n  num_worst_case_experts: [1, 8]\n  expert_load_imbalance_factor: [1, 2, 4]\n");
      small = join(dir, "out");
      expect(moesweep(["run", join(dir, "slice.yaml"), "--out", small, "--quiet"]).status).toBe(0);
    }
    return small;
  };
  const subtitle = (dir: string) => (JSON.parse(readFileSync(join(dir, "heatmap.vl.json"), "utf8")).title.subtitle as string[]).join(" ");

  it("--where picks the slice, and the subtitle names every field held fixed, base fields included", () => {
    const res = runSmall();
    const out = mkdtempSync(join(tmpdir(), "moesweep-fig-"));
    const r = moesweep(["figures", res, "--kind", "heatmap", "--out", out, "--where", "num_worst_case_experts == 8 and global_batch_size == 8"]);
    expect(r.status, r.stderr).toBe(0);
    const sub = subtitle(out);
    for (const part of ["model = deepseekv3-671b", "chip = tpuv5p", "global_batch_size = 8", "input_seqlen = 1024", "num_chips = 32", "tensor_parallelism_degree = 32", "num_worst_case_experts = 8"]) expect(sub).toContain(part);
    expect(sub).not.toMatch(/Picked/);
  });

  it("without --where an ambiguous slice says which values were picked and how to choose others", () => {
    const out = mkdtempSync(join(tmpdir(), "moesweep-fig-"));
    expect(moesweep(["figures", runSmall(), "--kind", "heatmap", "--out", out]).status).toBe(0);
    expect(subtitle(out)).toMatch(/Picked global_batch_size = 1 \(of 1, 8\); num_worst_case_experts = 1 \(of 1, 8\): choose others with --where/);
  });

  it("--facet adds a row of panels per value and --color colours the lines by a field, keeping the kind's own series apart", () => {
    const res = runSmall();
    const out = mkdtempSync(join(tmpdir(), "moesweep-fig-"));
    const r = moesweep(["figures", res, "--kind", "alltoall", "--out", out, "--facet", "global_batch_size", "--color", "num_worst_case_experts"]);
    expect(r.status, r.stderr).toBe(0);
    const spec = JSON.parse(readFileSync(join(out, "alltoall.vl.json"), "utf8"));
    expect(spec.facet.row.field).toBe("global_batch_size");
    expect(spec.facet.column.field).toBe("EP");
    expect(spec.spec.encoding.color.field).toBe("num_worst_case_experts");
    expect(spec.spec.encoding.detail.field).toBe("phase");
    expect(new Set(spec.data.values.map((v: { global_batch_size: number }) => v.global_batch_size))).toEqual(new Set([1, 8]));
    // Neither field is held fixed any more, so the subtitle does not name them.
    expect(spec.title.subtitle.join(" ")).not.toMatch(/global_batch_size|num_worst_case_experts/);
    expect(count(readFileSync(join(out, "alltoall.svg"), "utf8"), "line mark")).toBe(2 * 2 * 2 * 2); // batch rows x EP (4, 8; EP = 1 has no all-to-all) x phase x W
    const bad = moesweep(["figures", res, "--kind", "heatmap", "--color", "global_batch_size", "--out", out]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--color applies to the line kinds/);
    expect(moesweep(["figures", res, "--kind", "alltoall", "--facet", "nope", "--out", out]).stderr).toMatch(/--facet\/--color nope: no such column/);
  });

  it("a --where that keeps nothing, or does not parse, exits 2", () => {
    const res = runSmall();
    expect(moesweep(["figures", res, "--where", "num_chips == 3"]).stderr).toMatch(/keeps none of the/);
    expect(moesweep(["figures", res, "--where", "num_chips =="]).status).toBe(2);
  });

  it("default kinds that cannot be drawn are skipped with a note; out-of-memory rows are left out with a note", () => {
    const out = mkdtempSync(join(tmpdir(), "moesweep-fig-"));
    const r = moesweep(["figures", fixture("skew"), "--out", out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/moesweep figures: skipped /);
    expect(readdirSync(out)).toContain("skew.svg");
    const dir = mkdtempSync(join(tmpdir(), "moesweep-fig-"));
    const lines = readFileSync(join(fixture("alltoall"), "results.csv"), "utf8").trim().split("\n");
    const oomCol = lines[0].split(",").indexOf("out_of_memory");
    // Mark the last three rows out of memory.
    const marked = lines.map((l, i) => (i >= lines.length - 3 ? l.split(",").map((c, j) => (j === oomCol ? "true" : c)).join(",") : l));
    writeFileSync(join(dir, "results.csv"), marked.join("\n") + "\n");
    const o = moesweep(["figures", dir, "--kind", "alltoall", "--out", out]);
    expect(o.status, o.stderr).toBe(0);
    expect(o.stderr).toMatch(/left out 3 out-of-memory point\(s\)/);
  });
});

describe("formats", () => {
  it("--format png pdf: a PNG at twice the SVG's size that is not blank, a PDF that parses with its font embedded", async () => {
    const out = mkdtempSync(join(tmpdir(), "moesweep-fig-"));
    const r = moesweep(["figures", fixture("heatmap"), "--kind", "heatmap", "--out", out, "--format", "png", "pdf"]);
    expect(r.status, r.stderr).toBe(0);
    const png = readFileSync(join(out, "heatmap.png"));
    expect(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
    const svg = readFileSync(join(out, "heatmap.svg"), "utf8");
    const [, w, h] = /<svg[^>]*width="([\d.]+)"[^>]*height="([\d.]+)"/.exec(svg)!;
    expect(png.readUInt32BE(16)).toBe(Math.round(2 * Number(w)));
    expect(png.readUInt32BE(20)).toBe(Math.round(2 * Number(h)));
    expect(png.length).toBeGreaterThan(20_000); // a blank canvas this size compresses to a few kB
    const { PDFDocument } = await import("pdf-lib");
    const pdfBytes = readFileSync(join(out, "heatmap.pdf"));
    const doc = await PDFDocument.load(pdfBytes);
    expect(doc.getPageCount()).toBe(1);
    expect(doc.getPage(0).getWidth()).toBeCloseTo(Number(w), 0);
    expect(pdfBytes.toString("latin1")).toMatch(/\/FontFile2/);
    expect(pdfBytes.toString("latin1")).toMatch(/DejaVuSans/);
  });
});
