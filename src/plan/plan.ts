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
import { FIELDS, isNumericField, mergeConfig, numberFits, NumericResolver, resolveConfig, type ConfigInput, type FieldName, type MoeConfig, type NumberStore } from "../model/config.js";
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
  /** How resolvePoint decodes without an input object; undefined when it cannot (see numericDecoding). */
  private readonly numeric: NumericDecoding | undefined;

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
    this.numeric = this.needsVerdict ? undefined : numericDecoding(spec);
  }

  /**
   * Point i resolved, as resolveConfig(pointInput(i)) after `where`: null when a filter drops it;
   * throws resolveConfig's ConfigError for an invalid point. Most points need no input object:
   * their numbers, checked once per axis value, are stored over a copy of their template (base and
   * non-numeric values, checked once); a point failing a check is resolved from its input, for the
   * usual error.
   */
  resolvePoint(index: number): MoeConfig | null {
    const dec = this.numeric;
    if (dec === undefined) return this.resolveInput(index);
    const d = this.decode(index);
    for (let k = 0; k < dec.numericAxes.length; k++) {
      if (dec.fits[k][d[dec.numericAxes[k]]] === 0) return this.resolveInput(index);
    }
    let template = 0;
    for (let k = 0; k < dec.templateAxes.length; k++) {
      const a = dec.templateAxes[k];
      template = template * this.radices[a] + d[a];
    }
    const resolver = dec.resolvers[template] ?? this.makeResolver(dec, template, d);
    const merged = resolver.merge(this.axisValues, d);
    if (merged === undefined) return this.resolveInput(index);
    if (!this.keepsView(merged)) return null;
    return resolver.check(merged) ?? resolveConfig(this.pointInput(index));
  }

  private resolveInput(index: number): MoeConfig | null {
    const input = this.pointInput(index);
    return this.keeps(input) ? resolveConfig(input) : null;
  }

  /** The resolver of a point's template, numbered `template`, from the point's axis positions (the shared fields: base, then the non-numeric axes' values). */
  private makeResolver(dec: NumericDecoding, template: number, digits: Float64Array): NumericResolver {
    const fixed: Record<string, unknown> = { ...this.spec.base };
    for (const a of dec.templateAxes) {
      this.spec.axes[a].fields.forEach((f, j) => (fixed[f] = this.axisValues[a][digits[a]][j]));
    }
    return (dec.resolvers[template] = new NumericResolver(fixed, dec.numericFields, dec.store));
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
    return this.buildInput(this.spec.base, this.axisValues, this.decode(index));
  }

  /** Axis positions of point i, into the scratch array. */
  private decode(index: number): Float64Array {
    const d = this.digitScratch;
    let rest = index;
    for (let a = this.radices.length - 1; a >= 0; a--) {
      const digit = rest % this.radices[a];
      d[a] = digit;
      rest = (rest - digit) / this.radices[a];
    }
    return d;
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
    return this.filters.length === 0 || this.keepsView(this.viewOf(input));
  }

  private keepsView(view: Record<string, unknown>): boolean {
    for (const { text, fn } of this.filters) {
      const r = fn(view);
      if (r instanceof Error) throw new SpecError(`where "${text}": ${r.message}`);
      if (!r) return false;
    }
    return true;
  }
}

/** Templates a sweep may have (their non-numeric axes' value combinations) for resolvePoint to decode without input objects. */
const MAX_TEMPLATES = 4096;

interface NumericDecoding {
  /** Axes whose every value is a number for a numeric field, in spec order; their fields, in that order. */
  numericAxes: number[];
  numericFields: FieldName[];
  /** Per numeric axis, per value: 1 when each of its numbers passes its field's check. */
  fits: Uint8Array[];
  /** Stores a point's numbers from the axes (direct loads and stores, compiled for this spec). */
  store: NumberStore;
  /** The other axes, whose digits number the point's template. */
  templateAxes: number[];
  resolvers: (NumericResolver | undefined)[];
}

/** undefined when the templates are too many. */
function numericDecoding(spec: ResolvedSpec): NumericDecoding | undefined {
  const numericAxes: number[] = [];
  const templateAxes: number[] = [];
  let templates = 1;
  spec.axes.forEach((axis, a) => {
    if (axis.fields.every(isNumericField) && axis.values.every((v) => v.every((x) => typeof x === "number"))) numericAxes.push(a);
    else {
      templateAxes.push(a);
      templates *= axis.values.length;
    }
  });
  if (templates > MAX_TEMPLATES) return undefined;
  // The values as the axes hold them (a Float64Array of them would make every stored number a
  // double, which V8 boxes in each config: measured 2-18% slower per point).
  const stores = numericAxes.flatMap((a) => spec.axes[a].fields.map((f, j) => `c[${JSON.stringify(f)}] = values[${a}][digits[${a}]][${j}];`));
  return {
    numericAxes, templateAxes,
    numericFields: numericAxes.flatMap((a) => spec.axes[a].fields),
    fits: numericAxes.map((a) => Uint8Array.from(spec.axes[a].values, (v) => (v.every((x, j) => numberFits(spec.axes[a].fields[j], x as number)) ? 1 : 0))),
    store: new Function("c", "values", "digits", stores.join("\n")) as NumberStore,
    resolvers: new Array<NumericResolver | undefined>(templates),
  };
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
