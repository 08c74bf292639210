/**
 * Measured expert loads (`expert_load_model: measured`): a loads file parsed
 * into one vector per file path, registered where the model can find it (the
 * spec loader and the CLI read files; workers get the parsed vectors). Pure.
 */
import { InputError } from "../../errors.js";

export class LoadFileError extends InputError {}

const loads = new Map<string, number[]>();

export function registerMeasuredLoads(files: Record<string, number[]> | undefined): void {
  for (const [k, v] of Object.entries(files ?? {})) loads.set(k, v);
}

export function measuredLoadsOf(path: string): number[] | undefined {
  return loads.get(path);
}

/**
 * Per-expert loads from CSV (a row of numbers per layer, or one number per line;
 * a header line is skipped) or JSON (an array, an array of arrays, or an object
 * with `loads`). Several layers: their mean, expert by expert.
 */
export function parseLoads(file: string, text: string): number[] {
  let layers: number[][];
  if (/\.json$/i.test(file)) {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch (err) {
      throw new LoadFileError(`${file}: not valid JSON: ${(err as Error).message}`);
    }
    if (v && typeof v === "object" && !Array.isArray(v)) v = (v as { loads?: unknown }).loads;
    if (!Array.isArray(v)) throw new LoadFileError(`${file}: expected an array of per-expert loads, an array of such arrays (one per layer), or {"loads": ...}`);
    layers = (Array.isArray(v[0]) ? v : [v]) as number[][];
  } else {
    const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== "");
    const rows = lines.map((l) => l.split(",").map((x) => x.trim()));
    const numeric = rows.filter((r) => r.every((x) => x !== "" && Number.isFinite(Number(x))));
    if (numeric.length < rows.length - 1) throw new LoadFileError(`${file}: expected numbers (a row per layer, or one per line), after at most one header line`);
    layers = numeric.every((r) => r.length === 1) ? [numeric.map((r) => Number(r[0]))] : numeric.map((r) => r.map(Number));
  }
  const E = layers[0]?.length ?? 0;
  if (E === 0) throw new LoadFileError(`${file}: no loads`);
  for (const [i, l] of layers.entries()) {
    if (l.length !== E) throw new LoadFileError(`${file}: layer ${i} has ${l.length} experts, layer 0 has ${E}`);
    for (const x of l) if (typeof x !== "number" || !Number.isFinite(x) || x < 0) throw new LoadFileError(`${file}: loads must be finite numbers >= 0, found ${JSON.stringify(x)} in layer ${i}`);
  }
  return Array.from({ length: E }, (_, e) => layers.reduce((s, l) => s + l[e], 0) / layers.length);
}
