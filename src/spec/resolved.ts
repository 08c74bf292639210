/**
 * A resolved sweep spec and its errors: what workers need, without the parsers
 * (zod, yaml) that only the main thread uses.
 */
import { createHash } from "node:crypto";
import { InputError } from "../errors.js";
import type { FieldName } from "../model/config.js";

export class SpecError extends InputError {}

/** One axis of the grid: a single field, or a zip group whose fields vary together. */
export interface Axis {
  fields: FieldName[];
  /** values[i][j]: value of fields[j] at position i. */
  values: unknown[][];
}

/** The spec with ranges expanded: what the plan decodes and what the spec hash covers. */
export interface ResolvedSpec {
  name: string;
  description: string;
  base: Record<string, unknown>;
  axes: Axis[];
  where: string[];
  columns: string[] | null;
}

/** Stable hash of the resolved spec: equal specs, equal hashes, whatever the file's formatting. */
export function specHash(spec: ResolvedSpec): string {
  return createHash("sha256").update(JSON.stringify(spec)).digest("hex").slice(0, 16);
}
