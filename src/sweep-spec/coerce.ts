/** Turn user text (CLI flags, spec files) into typed config values, naming the field on error. */
import { ConfigError, FIELD_BY_NAME, FIELD_NAMES, type ConfigInput, type FieldName } from "../model/config.js";

export function coerceFieldValue(name: string, raw: unknown): unknown {
  const spec = FIELD_BY_NAME.get(name);
  if (!spec) throw new ConfigError(name, raw, `unknown config field; known fields: ${FIELD_NAMES.join(", ")}`);
  if (spec.kind === "int" || spec.kind === "number") {
    if (typeof raw === "number") return raw;
    if (typeof raw === "string" && raw.trim() !== "" && Number.isFinite(Number(raw))) return Number(raw);
    throw new ConfigError(name, raw, spec.kind === "int" ? "must be an integer" : "must be a finite number");
  }
  if (spec.kind === "bool") {
    if (typeof raw === "boolean") return raw;
    if (raw === "true" || raw === "false") return raw === "true";
    throw new ConfigError(name, raw, "must be true or false");
  }
  return typeof raw === "number" ? String(raw) : raw;
}

/** Coerce every entry of a field -> raw value map. */
export function coerceConfigInput(raw: Record<string, unknown>): ConfigInput {
  const out: ConfigInput = {};
  for (const [k, v] of Object.entries(raw)) out[k as FieldName] = coerceFieldValue(k, v);
  return out;
}
