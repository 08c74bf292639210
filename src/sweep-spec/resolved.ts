/**
 * A resolved sweep spec and its errors: what workers need, without the parsers
 * (zod, yaml) that only the main thread uses.
 */
import { createHash } from "node:crypto";
import { InputError } from "../errors.js";
import type { FieldName } from "../model/config.js";
import type { ConfigFileEntries } from "../model/catalog/neusim-files.js";

export class SpecError extends InputError {}

/** One axis of the grid: a single field, or a zip group whose fields vary together. */
export interface Axis {
  fields: FieldName[];
  /** values[i][j]: value of fields[j] at position i. */
  values: unknown[][];
  /** The range the values were expanded from, when the spec gave one (kept compact in manifests). */
  range?: { from: number; to: number; step?: number; times?: number };
}

/** A resolved spec as manifests store it: range axes as their range and value count, not every value. */
export interface CompactSpec extends Omit<ResolvedSpec, "axes"> {
  axes: (Axis | { fields: FieldName[]; range: NonNullable<Axis["range"]>; count: number })[];
}

export function compactSpec(spec: ResolvedSpec): CompactSpec {
  return { ...spec, axes: spec.axes.map((a) => (a.range ? { fields: a.fields, range: a.range, count: a.values.length } : a)) };
}

/** The spec with ranges expanded: what the plan decodes and what the spec hash covers. */
export interface ResolvedSpec {
  name: string;
  description: string;
  base: Record<string, unknown>;
  axes: Axis[];
  where: string[];
  columns: string[] | null;
  /** "fits": leave out-of-memory points out of results.csv (absent = keep all, so older specs hash the same). */
  keep?: "fits";
  /** false: leave config_key out of results.csv (absent = true, so older specs hash the same). */
  config_key?: false;
  /** NeuSim chip/model files the spec names, parsed (covered by the spec hash: edit a file, get a new hash). */
  config_files?: ConfigFileEntries;
}

/** Stable hash of the resolved spec: equal specs, equal hashes, whatever the file's formatting. */
export function specHash(spec: ResolvedSpec): string {
  // Over the expanded values only (an axis's `range` is how it was written, not what it is).
  return createHash("sha256").update(JSON.stringify(spec, (k, v) => (k === "range" ? undefined : v))).digest("hex").slice(0, 16);
}
