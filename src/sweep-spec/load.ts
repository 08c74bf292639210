/**
 * Read, validate and resolve a sweep spec. A bad spec is rejected before
 * anything runs, with the field path and what was expected.
 */
import { readFileSync } from "node:fs";
import { dirname, extname } from "node:path";
import { loadConfigFiles } from "./config-files.js";
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import { FIELD_BY_NAME, FIELDS, type FieldName } from "../model/config.js";
import { sweepSpecSchema, type Range, type SweepSpec } from "./schema.js";
import { SpecError, type Axis, type ResolvedSpec } from "./resolved.js";

export { SpecError, specHash, type Axis, type ResolvedSpec } from "./resolved.js";

/** `grid.expert_load_imbalance_factor[3]` style path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out === "" ? String(p) : `.${String(p)}`;
  return out || "(spec)";
}

type Issue = z.core.$ZodIssue;

/**
 * The most specific reason: for a union (a list of values or a range), the
 * alternative that got furthest into the value, e.g. `grid.f[3]: expected number`.
 */
function specific(issue: Issue, prefix: PropertyKey[] = []): { path: PropertyKey[]; message: string } {
  const path = [...prefix, ...issue.path];
  if (issue.code === "invalid_union" && issue.errors.length > 0) {
    const deepest = issue.errors
      .map((alt) => alt[0])
      .filter((i): i is Issue => i !== undefined)
      .sort((a, b) => b.path.length - a.path.length)[0];
    if (deepest && deepest.path.length > 0) return specific(deepest, path);
  }
  return { path, message: issue.message };
}

function zodMessage(err: z.ZodError): string {
  return err.issues.slice(0, 5).map((i) => {
    const s = specific(i as Issue);
    return `${formatPath(s.path)}: ${s.message}`;
  }).join("; ");
}

/** The largest number of values one range may expand to. */
const MAX_RANGE_VALUES = 10_000_000;

export function expandRange(r: Range, field: FieldName, path: string): number[] {
  if (r.from > r.to) throw new SpecError(`${path}: from (${r.from}) must be <= to (${r.to})`);
  const out: number[] = [];
  if ("step" in r) {
    const n = Math.floor((r.to - r.from) / r.step + 1e-9) + 1;
    if (!(n <= MAX_RANGE_VALUES)) throw new SpecError(`${path}: expands to ${n} values (at most ${MAX_RANGE_VALUES}); use a larger step`);
    for (let i = 0; i < n; i++) out.push(tidy(r.from + i * r.step));
  } else {
    if (r.from <= 0) throw new SpecError(`${path}: a geometric range needs from > 0`);
    // Count first: a ratio barely above 1 would otherwise build billions of values before failing.
    const n = Math.floor(Math.log(r.to / r.from) / Math.log(r.times) + 1e-9) + 1;
    if (!(n <= MAX_RANGE_VALUES)) throw new SpecError(`${path}: expands to ${n} values (at most ${MAX_RANGE_VALUES}); use a larger times`);
    for (let v = r.from; v <= r.to * (1 + 1e-12); v *= r.times) out.push(tidy(v));
  }
  const spec = FIELD_BY_NAME.get(field)!;
  for (const [i, v] of out.entries()) {
    if (spec.kind === "int" && !Number.isInteger(v)) throw new SpecError(`${path}: value #${i} (${v}) is not an integer, but ${field} takes integers`);
    if (spec.min !== undefined && v < spec.min) throw new SpecError(`${path}: value #${i} (${v}) is below the minimum ${spec.min} of ${field}`);
    if (spec.max !== undefined && v > spec.max) throw new SpecError(`${path}: value #${i} (${v}) is above the maximum ${spec.max} of ${field}`);
  }
  return out;
}

/** Remove float noise from accumulated range values (0.1 + 0.2 -> 0.3). */
function tidy(v: number): number {
  return Number(v.toPrecision(12));
}

export function resolveSpec(raw: unknown): ResolvedSpec {
  const parsed = sweepSpecSchema.safeParse(raw);
  if (!parsed.success) throw new SpecError(zodMessage(parsed.error));
  const spec: SweepSpec = parsed.data;
  const seen = new Map<string, string>();
  const claim = (field: string, where: string) => {
    const prev = seen.get(field);
    if (prev) throw new SpecError(`${where}: ${field} is already set in ${prev}; a field may appear in only one of base, grid, zip`);
    seen.set(field, where);
  };
  for (const f of Object.keys(spec.base)) claim(f, `base.${f}`);
  const axes: Axis[] = [];
  // Axis order is the file's order (the schema parse reorders keys).
  const rawGrid = (raw as { grid?: Record<string, unknown> }).grid ?? {};
  for (const field of Object.keys(rawGrid)) {
    const v = spec.grid[field as keyof typeof spec.grid];
    if (v === undefined) continue;
    claim(field, `grid.${field}`);
    if (Array.isArray(v)) axes.push({ fields: [field as FieldName], values: v.map((x) => [x]) });
    else axes.push({ fields: [field as FieldName], values: expandRange(v as Range, field as FieldName, `grid.${field}`).map((x) => [x]), range: { ...(v as Range) } });
  }
  const rawZip = (raw as { zip?: Record<string, unknown>[] }).zip ?? [];
  spec.zip.forEach((group, gi) => {
    const fields = Object.keys(rawZip[gi]).filter((f) => group[f as keyof typeof group] !== undefined) as FieldName[];
    if (fields.length === 0) throw new SpecError(`zip[${gi}]: a zip group needs at least one field`);
    const lists = fields.map((f) => group[f as keyof typeof group] as unknown[]);
    for (const [j, f] of fields.entries()) {
      claim(f, `zip[${gi}].${f}`);
      if (lists[j].length !== lists[0].length) {
        throw new SpecError(`zip[${gi}].${f}: has ${lists[j].length} values but zip[${gi}].${fields[0]} has ${lists[0].length}; zipped axes vary together and need equal lengths`);
      }
    }
    axes.push({ fields, values: lists[0].map((_, i) => lists.map((l) => l[i])) });
  });
  return {
    name: spec.name,
    description: spec.description ?? "",
    base: canonicalBase(spec.base as Record<string, unknown>),
    axes,
    where: typeof spec.where === "string" ? [spec.where] : spec.where,
    columns: spec.columns ?? null,
    ...(spec.config_key === false ? { config_key: false } : {}),
    ...(spec.keep === "fits" ? { keep: "fits" } : {}),
  };
}

/** Base fields in registry order, so key order in the file does not change the spec hash. */
function canonicalBase(base: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of FIELDS) if (base[f.name] !== undefined) out[f.name] = base[f.name];
  return out;
}

export function parseSpecText(text: string, path: string): unknown {
  try {
    return extname(path).toLowerCase() === ".json" ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new SpecError(`${path}: not valid ${extname(path) === ".json" ? "JSON" : "YAML"}: ${(err as Error).message.split("\n")[0]}`);
  }
}

export function loadSpecFile(path: string): ResolvedSpec {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new SpecError(`cannot read spec ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const spec = resolveSpec(parseSpecText(text, path));
  const valuesOf = (field: string) => [spec.base[field], ...spec.axes.flatMap((a) => a.fields.flatMap((f, j) => (f === field ? a.values.map((v) => v[j]) : [])))];
  const files = loadConfigFiles({ chip: valuesOf("chip"), model: valuesOf("model"), expert_load_file: valuesOf("expert_load_file") }, dirname(path));
  if (files) spec.config_files = files;
  return spec;
}

