/** Render figures: vega-lite -> vega -> SVG, headless (no native modules). Writes nothing until all rendered. */
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import { FigureInputError, loadRows } from "./data.js";
import { FIGURE_KINDS as KINDS, KIND_NAMES } from "./kinds.js";

export { KIND_NAMES };

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export interface RenderedFigure { kind: string; svg: string; spec: TopLevelSpec }

/** Build every requested kind from one result set; throws naming missing columns and the sweep to run. */
export async function buildFigures(resultsDir: string, kinds: string[] | undefined): Promise<RenderedFigure[]> {
  const { path, columns, rows } = loadRows(resultsDir);
  const wanted = kinds ?? KIND_NAMES;
  for (const k of wanted) if (!KIND_NAMES.includes(k)) throw new FigureInputError(`--kind ${k}: unknown; kinds: ${KIND_NAMES.join(", ")}`);
  const selected = KINDS.filter((k) => wanted.includes(k.name));
  const usable = selected.filter((k) => k.needs.every((c) => columns.includes(c)));
  if (kinds) {
    for (const k of selected) {
      const missing = k.needs.filter((c) => !columns.includes(c));
      if (missing.length) throw new FigureInputError(`${path}: the ${k.name} figure needs columns ${missing.join(", ")}; run ${k.sweep} (or a sweep whose columns include them)`);
    }
  } else if (usable.length === 0) {
    throw new FigureInputError(`${path}: no figure kind can be drawn from these columns; run one of ${KINDS.map((k) => k.sweep).join(", ")}`);
  }
  if (rows.length === 0) throw new FigureInputError(`${path}: no result rows to plot`);
  const out: RenderedFigure[] = [];
  for (const k of kinds ? selected : usable) {
    const spec = k.build(rows);
    out.push({ kind: k.name, spec, svg: await renderSvg(spec) });
  }
  return out;
}

/** Write <kind>.svg and <kind>.vl.json for each figure; each file appears whole (write, then rename). */
export function writeFigures(figures: RenderedFigure[], outDir: string, prefix = ""): string[] {
  mkdirSync(outDir, { recursive: true });
  const written: string[] = [];
  for (const f of figures) {
    for (const [ext, text] of [["svg", f.svg], ["vl.json", JSON.stringify(f.spec, null, 2) + "\n"]] as const) {
      const path = join(outDir, `${prefix}${f.kind}.${ext}`);
      writeFileSync(`${path}.tmp`, text);
      renameSync(`${path}.tmp`, path);
      written.push(path);
    }
  }
  return written;
}
