/** Render figures: vega-lite -> vega -> SVG, headless (no native modules). Writes nothing until all rendered. */
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import { FigureInputError, forEachRow, SliceCollector, whereFilter, type Row } from "./data.js";
import { svgToPdf, svgToPng } from "./raster.js";
import { FIGURE_KINDS as KINDS, KIND_NAMES, type FigureKind } from "./kinds.js";

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

export interface FigureOptions {
  /** Only rows this filter keeps (the spec's filter language). */
  where?: string;
  /** A field to facet by (a row of panels per value), besides the kind's own panels. */
  facet?: string;
  /** A field to colour lines by, instead of the kind's own choice (line kinds). */
  color?: string;
}

const LINE_KINDS = new Set(["skew", "latency", "alltoall", "moe-by-w"]);

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- vega-lite specs are edited structurally here
type AnySpec = Record<string, any>;

/** Apply --facet / --color to a kind's spec: colour the lines by a field; add a row of panels per value of a field. */
function applyOverrides(kind: string, spec: TopLevelSpec, opts: FigureOptions): TopLevelSpec {
  const s = spec as AnySpec;
  if (opts.color) {
    if (!LINE_KINDS.has(kind)) throw new FigureInputError(`--color applies to the line kinds (${[...LINE_KINDS].join(", ")}), not ${kind}`);
    const unit = s.spec ?? s;
    // The kind's own series stay separate lines (detail), now coloured by the chosen field.
    const own = unit.encoding.color?.field;
    if (own) unit.encoding.detail = { field: own };
    unit.encoding.color = { field: opts.color, type: "ordinal", title: opts.color, scale: { scheme: "tableau10" } };
  }
  if (opts.facet) {
    if (s.vconcat) throw new FigureInputError(`--facet is not available for ${kind} (it already has a row per phase)`);
    if (s.facet?.row) throw new FigureInputError(`--facet is not available for ${kind} (it already has a row per ${s.facet.row.field}); slice with --where`);
    // Row labels on the right, "field = value", clear of the y-axis title.
    const row = { field: opts.facet, type: "ordinal", title: null, header: { labelOrient: "right", labelAngle: 0, labelAlign: "left", labelExpr: `'${opts.facet} = ' + datum.value` } };
    if (s.facet) s.facet = { ...s.facet, row };
    else {
      const { $schema, title, data, config, ...unit } = s;
      return { $schema, title, data, config, facet: { row }, spec: unit } as unknown as TopLevelSpec;
    }
  }
  return spec;
}

/**
 * Build every requested kind from one result set. Named kinds that cannot be
 * drawn are an error naming the columns and the sweep to run; default kinds that
 * cannot be drawn are skipped with a note. Out-of-memory rows are left out.
 */
export async function buildFigures(resultsDir: string, kinds: string[] | undefined, opts: FigureOptions = {}): Promise<{ figures: RenderedFigure[]; notes: string[] }> {
  const notes: string[] = [];
  const wanted = kinds ?? KIND_NAMES;
  for (const k of wanted) if (!KIND_NAMES.includes(k)) throw new FigureInputError(`--kind ${k}: unknown; kinds: ${KIND_NAMES.join(", ")}`);
  const selected = KINDS.filter((k) => wanted.includes(k.name));
  const extra = [opts.facet, opts.color].filter((f): f is string => !!f);
  const keep = opts.where ? whereFilter(opts.where) : undefined;
  // Checked on the header, before any row is read; then each row goes to every drawable kind's collector.
  let path = "", columns: string[] = [], drawn: FigureKind[] = [];
  let collectors: Collector[] = [];
  let total = 0, kept = 0, oom = 0;
  const onHeader = (p: string, cols: string[]) => {
    path = p;
    columns = cols;
    const usable = selected.filter((k) => k.needs.every((c) => columns.includes(c)));
    if (kinds) {
      for (const k of selected) {
        const missing = k.needs.filter((c) => !columns.includes(c));
        if (missing.length) throw new FigureInputError(`${path}: the ${k.name} figure needs columns ${missing.join(", ")}; run ${k.sweep} (or a sweep whose columns include them)`);
      }
    } else {
      for (const k of selected.filter((x) => !usable.includes(x))) notes.push(`skipped ${k.name}: needs columns ${k.needs.filter((c) => !columns.includes(c)).join(", ")} (run ${k.sweep})`);
      if (usable.length === 0) throw new FigureInputError(`${path}: no figure kind can be drawn from these columns; run one of ${KINDS.map((k) => k.sweep).join(", ")}`);
    }
    for (const f of extra) {
      if (!columns.includes(f)) throw new FigureInputError(`--facet/--color ${f}: no such column in ${path}`);
    }
    drawn = kinds ? selected : usable;
    collectors = drawn.map((k) => new Collector(k, extra));
  };
  await forEachRow(resultsDir, onHeader, (r) => {
    total++;
    if (keep && !keep(r)) return;
    kept++;
    // Out-of-memory points are left out.
    if (r.out_of_memory === "true") {
      oom++;
      return;
    }
    for (const c of collectors) c.add(r);
  });
  if (opts.where && kept === 0) throw new FigureInputError(`--where "${opts.where}" keeps none of the ${total} rows of ${path}`);
  if (oom > 0) notes.push(`left out ${oom} out-of-memory point(s) (out_of_memory = true)`);
  if (kept - oom === 0) throw new FigureInputError(`${path}: no result rows to plot${columns.includes("out_of_memory") ? " (every point is out of memory)" : ""}`);
  const out: RenderedFigure[] = [];
  for (const [i, k] of drawn.entries()) {
    let spec: TopLevelSpec;
    try {
      spec = applyOverrides(k.name, k.build(collectors[i].result(), extra), opts);
    } catch (err) {
      // A default kind the data cannot support (e.g. no balanced case to normalise by) is skipped, not fatal.
      if (kinds || !(err instanceof FigureInputError)) throw err;
      notes.push(`skipped ${k.name}: ${err.message} (run ${k.sweep})`);
      continue;
    }
    out.push({ kind: k.name, spec, svg: await renderSvg(spec) });
  }
  return { figures: out, notes };
}

/** What one kind keeps of the streamed rows: the rows it accepts, sliced (or once per dedup key). */
class Collector {
  private readonly slice: SliceCollector | undefined;
  private readonly unique = new Map<string, Row>();
  private accepted = 0;

  constructor(private readonly kind: FigureKind, private readonly extra: string[]) {
    this.slice = kind.shows ? new SliceCollector([...kind.shows, ...extra]) : undefined;
  }

  add(r: Row): void {
    if (this.kind.accepts && !this.kind.accepts.test(r)) return;
    this.accepted++;
    if (this.slice) this.slice.add(r);
    else {
      const key = this.kind.dedup!(r, this.extra);
      if (!this.unique.has(key)) this.unique.set(key, r);
    }
  }

  result(): { rows: Row[]; caption: string } {
    if (this.kind.accepts && this.accepted === 0) throw new FigureInputError(this.kind.accepts.none);
    return this.slice ? { rows: this.slice.rows, caption: this.slice.caption } : { rows: [...this.unique.values()], caption: "" };
  }
}

export type FigureFormat = "svg" | "png" | "pdf";

/**
 * Write <kind>.svg and <kind>.vl.json for each figure, plus <kind>.png / .pdf
 * when asked; everything is rendered first, then each file appears whole
 * (write, then rename).
 */
export async function writeFigures(figures: RenderedFigure[], outDir: string, formats: FigureFormat[] = ["svg"], prefix = ""): Promise<string[]> {
  const files: [string, string | Buffer][] = [];
  for (const f of figures) {
    files.push([`${f.kind}.svg`, f.svg], [`${f.kind}.vl.json`, JSON.stringify(f.spec, null, 2) + "\n"]);
    if (formats.includes("png")) files.push([`${f.kind}.png`, svgToPng(f.svg)]);
    if (formats.includes("pdf")) files.push([`${f.kind}.pdf`, await svgToPdf(f.svg)]);
  }
  mkdirSync(outDir, { recursive: true });
  return files.map(([name, data]) => {
    const path = join(outDir, `${prefix}${name}`);
    writeFileSync(`${path}.tmp`, data);
    renameSync(`${path}.tmp`, path);
    return path;
  });
}
