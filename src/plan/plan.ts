/**
 * A lazy, index-addressed sweep plan. Point i decodes to its config in
 * O(number of axes) by mixed-radix decoding; the total is known without
 * building any list, so a 100-million-point grid plans instantly.
 *
 * Order: axes in spec order (grid fields as written, then zip groups), the last
 * axis varying fastest, like nested loops written in that order. point_index is
 * the index in the full grid; points dropped by `where` keep their indices free.
 */
import { createRequire } from "node:module";
import { FIELDS, mergeConfig, type ConfigInput, type FieldName } from "../model/config.js";
import { OUTPUT_COLUMNS } from "../model/evaluate.js";
import { COMPONENT_ENERGY_COLUMNS, EP_GROUP_COLUMNS, ENERGY_COLUMNS } from "../model/energy/energy-columns.js";
import { neusimVerdict } from "../model/neusim-rules.js";
import { registerConfigFiles } from "../model/catalog/neusim-files.js";
import { SpecError, type ResolvedSpec } from "../sweep-spec/resolved.js";

/** Fields every result row records, swept or not: what figures and comparisons group by. */
const ALWAYS_RECORDED: readonly FieldName[] = [
  "model", "chip", "phase", "expert_parallelism_degree", "expert_load_imbalance_factor", "num_worst_case_experts",
];

type Filter = (view: Record<string, unknown>) => unknown;

/**
 * filtrex, loaded only for a spec with `where` filters (not in every worker: about 3 MB of a
 * process's RSS measured, 148-149 -> 145 MB at the bench's 10M-point run), and required, not
 * imported: it is CommonJS, which an import makes Node lex for named exports.
 */
let filtrex: typeof import("filtrex") | undefined;
const compileExpression = (text: string) => (filtrex ??= createRequire(import.meta.url)("filtrex") as typeof import("filtrex")).compileExpression(text);

export class SweepPlan {
  readonly total: number;
  /** Config fields written to each row, in registry order. */
  readonly recordedFields: FieldName[];
  /** Every CSV column, in order. */
  readonly columns: string[];
  /** The chosen columns include energy outputs. */
  readonly wantsEnergy: boolean;
  readonly wantsEpGroup: boolean;
  /** The chosen columns include a per-component energy (its sums cost six additions per operator). */
  readonly wantsEnergyComponents: boolean;
  private readonly radices: number[];
  private readonly filters: { text: string; fn: Filter }[];
  private readonly needsVerdict: boolean;
  private readonly digitScratch: Float64Array;
  private readonly axisValues: unknown[][][];
  /** Builds a point's input object with one fixed shape (one hidden class: fast, and the same key order as ever). */
  private readonly buildInput: (base: Record<string, unknown>, values: unknown[][][], digits: Float64Array) => ConfigInput;

  constructor(readonly spec: ResolvedSpec) {
    registerConfigFiles(spec.config_files); // workers get the parsed files with the spec
    this.radices = spec.axes.map((a) => a.values.length);
    this.digitScratch = new Float64Array(this.radices.length);
    this.axisValues = spec.axes.map((a) => a.values);
    const props = Object.keys(spec.base).map((k) => `${JSON.stringify(k)}: base[${JSON.stringify(k)}]`);
    for (let a = spec.axes.length - 1; a >= 0; a--) {
      spec.axes[a].fields.forEach((f, j) => props.push(`${JSON.stringify(f)}: values[${a}][digits[${a}]][${j}]`));
    }
    this.buildInput = new Function("base", "values", "digits", `return { ${props.join(", ")} };`) as SweepPlan["buildInput"];
    let total = 1;
    for (const r of this.radices) total *= r;
    if (!Number.isSafeInteger(total)) throw new SpecError(`the grid has ${total} points, more than ${Number.MAX_SAFE_INTEGER} can be indexed`);
    this.total = total;
    const named = new Set<string>([...ALWAYS_RECORDED, ...Object.keys(spec.base), ...spec.axes.flatMap((a) => a.fields)]);
    this.recordedFields = FIELDS.map((f) => f.name).filter((n) => named.has(n));
    // Identity first, always (the config fields too: a row must say what it measures), then the chosen outputs.
    // Energy columns cost an operator list per point: written only when `columns:` names them.
    const energy = spec.columns ? ENERGY_COLUMNS.filter((c) => spec.columns!.includes(c)) : [];
    const outputs = [...(spec.columns ? OUTPUT_COLUMNS.filter((c) => spec.columns!.includes(c)) : OUTPUT_COLUMNS), ...energy];
    this.wantsEnergy = energy.length > 0;
    // The EP group's columns cost a second (balanced) evaluation: only when named.
    this.wantsEpGroup = energy.some((c) => (EP_GROUP_COLUMNS as readonly string[]).includes(c));
    this.wantsEnergyComponents = energy.some((c) => COMPONENT_ENERGY_COLUMNS.includes(c));
    this.columns = ["point_index", ...(spec.config_key === false ? [] : ["config_key"]), ...this.recordedFields, ...outputs];
    this.needsVerdict = spec.where.some((w) => /\bneusim_(valid|reason)\b/.test(w));
    this.filters = spec.where.map((text, i) => {
      try {
        return { text, fn: compileExpression(text) as Filter };
      } catch (err) {
        throw new SpecError(`where[${i}]: cannot parse "${text}": ${(err as Error).message.split("\n").pop()}`);
      }
    });
    if (this.total > 0) this.checkFiltersOn(0);
  }

  /** Run the filters on one point so that unknown names fail before anything runs. */
  private checkFiltersOn(index: number): void {
    const view = this.viewOf(this.pointInput(index));
    this.filters.forEach(({ text, fn }, i) => {
      const r = fn(view);
      if (r instanceof Error) throw new SpecError(`where[${i}]: "${text}": ${r.message}`);
    });
  }

  /** What filters see: the merged config, plus NeuSim's verdict when a filter names it. */
  private viewOf(input: ConfigInput): Record<string, unknown> {
    const view = mergeConfig(input);
    return this.needsVerdict ? Object.assign(view, neusimVerdict(input)) : view;
  }

  /** The config input of point i: base fields, then each axis's value (the last axis's first). */
  pointInput(index: number): ConfigInput {
    const d = this.digitScratch;
    let rest = index;
    for (let a = this.radices.length - 1; a >= 0; a--) {
      const digit = rest % this.radices[a];
      d[a] = digit;
      rest = (rest - digit) / this.radices[a];
    }
    return this.buildInput(this.spec.base, this.axisValues, d);
  }

  /** Axis positions of point i (for tests and diagnostics). */
  digits(index: number): number[] {
    const out = new Array<number>(this.radices.length);
    let rest = index;
    for (let a = this.radices.length - 1; a >= 0; a--) {
      out[a] = rest % this.radices[a];
      rest = (rest - out[a]) / this.radices[a];
    }
    return out;
  }

  /**
   * True when every `where` filter keeps the point. Filters see the merged,
   * unvalidated config (catalog defaults + base + point), so they can drop
   * combinations the model would reject.
   */
  keeps(input: ConfigInput): boolean {
    if (this.filters.length === 0) return true;
    const view = this.viewOf(input);
    for (const { text, fn } of this.filters) {
      const r = fn(view);
      if (r instanceof Error) throw new SpecError(`where "${text}": ${r.message}`);
      if (!r) return false;
    }
    return true;
  }
}

/** Contiguous index range [start, end). */
export interface IndexRange {
  start: number;
  end: number;
}

/** The i-th (0-based) of n contiguous shards of [0, total), balanced to within one point. */
export function shardRange(total: number, index: number, count: number): IndexRange {
  const base = Math.floor(total / count);
  const extra = total % count;
  const start = index * base + Math.min(index, extra);
  return { start, end: start + base + (index < extra ? 1 : 0) };
}
