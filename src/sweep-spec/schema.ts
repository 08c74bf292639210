/**
 * The sweep spec: its zod schema (also published as JSON Schema by
 * `moesweep schema`), built from the config field registry.
 */
import { z } from "zod";
import { FIELDS, type FieldSpec } from "../model/config.js";
import { OUTPUT_COLUMNS } from "../model/evaluate.js";
import { ENERGY_COLUMNS } from "../model/energy/energy-columns.js";

function valueSchema(spec: FieldSpec): z.ZodType {
  switch (spec.kind) {
    case "string": {
      if (!spec.choices) return z.string();
      const names = z.enum(spec.choices as [string, ...string[]]);
      // A model or chip may also be a NeuSim config file.
      return spec.name === "model" || spec.name === "chip" ? z.union([names, z.string().regex(/\.json$/i, `a NeuSim ${spec.name} config file ending in .json`)]) : names;
    }
    case "bool": return z.boolean();
    case "int": return bounded(z.number().int(), spec);
    case "number": return bounded(z.number(), spec);
  }
}

function bounded(n: z.ZodNumber, spec: FieldSpec): z.ZodNumber {
  if (spec.min !== undefined) n = n.min(spec.min);
  if (spec.max !== undefined) n = n.max(spec.max);
  return n;
}

const numeric = (spec: FieldSpec) => spec.kind === "int" || spec.kind === "number";

/** An arithmetic {from, to, step} or geometric {from, to, times} series, both ends inclusive. */
export const rangeSchema = z.union([
  z.object({ from: z.number(), to: z.number(), step: z.number().positive() }).strict(),
  z.object({ from: z.number(), to: z.number(), times: z.number().gt(1) }).strict(),
]);
export type Range = z.infer<typeof rangeSchema>;

const baseShape: Record<string, z.ZodType> = {};
const gridShape: Record<string, z.ZodType> = {};
const zipShape: Record<string, z.ZodType> = {};
for (const spec of FIELDS) {
  const v = valueSchema(spec).describe(spec.describe);
  baseShape[spec.name] = v.optional();
  const list = z.array(v).min(1, "an axis needs at least one value");
  gridShape[spec.name] = (numeric(spec) ? z.union([list, rangeSchema], { error: "expected a list of values, or a range {from, to, step} or {from, to, times}" }) : list).optional();
  zipShape[spec.name] = list.optional();
}

export const COLUMN_CHOICES = ["point_index", "config_key", ...FIELDS.map((f) => f.name), ...OUTPUT_COLUMNS, ...ENERGY_COLUMNS] as const;

export const sweepSpecSchema = z.object({
  name: z.string().max(100, "at most 100 characters (it names the output folder)").regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "letters, digits, '.', '_' and '-' (it names the output folder)"),
  description: z.string().optional(),
  base: z.object(baseShape).strict().default({}),
  grid: z.object(gridShape).strict().default({}),
  zip: z.array(z.object(zipShape).strict()).default([]),
  where: z.union([z.string(), z.array(z.string())]).default([]),
  columns: z.array(z.enum(COLUMN_CHOICES)).min(1).optional()
    .describe("which model outputs to write (default: all but the energy columns, which are written only when named); point_index, config_key and the config fields are always written"),
  keep: z.enum(["all", "fits"]).optional().describe("all (default): every evaluated point; fits: leave out points that do not fit in HBM (counted as out of memory in the manifest)"),
  config_key: z.boolean().optional().describe("write the config_key column (default true); false saves a hash per point, but compare needs it"),
}).strict();

export type SweepSpecInput = z.input<typeof sweepSpecSchema>;
export type SweepSpec = z.output<typeof sweepSpecSchema>;

/** JSON Schema of the spec, for editors. */
export function sweepSpecJsonSchema(): unknown {
  return z.toJSONSchema(sweepSpecSchema, { io: "input" });
}
