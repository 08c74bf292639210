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
};

describe.each(KIND_NAMES)("figure %s", (kind) => {
  it("renders to a well-formed SVG with the expected marks and axis titles", async () => {
    const [fig] = await buildFigures(fixture(kind), [kind]);
    expectWellFormed(fig.svg);
    for (const [role, n] of expected[kind].marks) expect(count(fig.svg, role), role).toBe(n);
    expect(new Set(axisTitles(fig.svg))).toEqual(new Set(expected[kind].titles));
  });

  it("its vega-lite spec validates against the vega-lite JSON schema", async () => {
    const [fig] = await buildFigures(fixture(kind), [kind]);
    const ok = validate(fig.spec);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });
});

describe("figure content", () => {
  it("skew: the worst-case point of EP = 8, W = 1 sits at 120832/65280", async () => {
    const [fig] = await buildFigures(fixture("skew"), ["skew"]);
    const values = (fig.spec as { data: { values: { EP: number; W: string; f: number; skew: number }[] } }).data.values;
    const p = values.find((v) => v.EP === 8 && v.W === "W = 1" && v.f === 32)!;
    expect(p.skew).toBeCloseTo(120832 / 65280, 12);
  });

  it("heatmap: balanced cells are exactly 1 and the slice is named in the subtitle", async () => {
    const [fig] = await buildFigures(fixture("heatmap"), ["heatmap"]);
    const values = (fig.spec as { data: { values: { f: string; slowdown: number }[] } }).data.values;
    expect(values.filter((v) => v.f === "1").every((v) => v.slowdown === 1)).toBe(true);
  });

  it("latency: an unbalanced-only result set is refused with the reason", async () => {
    const dir = mkdtempSync(join(tmpdir(), "moesweep-fig-"));
    const text = readFileSync(join(fixture("latency"), "results.csv"), "utf8").split("\n");
    const fCol = text[0].split(",").indexOf("expert_load_imbalance_factor");
    writeFileSync(join(dir, "results.csv"), [text[0], ...text.slice(1).filter((l) => l && l.split(",")[fCol] !== "1")].join("\n") + "\n");
    await expect(buildFigures(dir, ["latency"])).rejects.toThrow(/needs expert_load_imbalance_factor = 1/);
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
  it("are the four documented kinds, in the order help and README list them", () => {
    expect(KIND_NAMES).toEqual(["skew", "breakdown", "latency", "heatmap"]);
  });
});
