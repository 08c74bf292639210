/**
 * Read the NeuSim chip/model config files a spec or the command line names
 * (`chip: my-chip.json`), so the model can resolve them by path. Relative paths
 * are read from `baseDir` (the spec file's folder, or the working folder for
 * flags) but keep the name they were written with: it is what results record.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import {
  chipFromNeusimJson, chipPowerFromNeusimJson, ConfigFileError, isConfigFilePath, modelFromNeusimJson, registerConfigFiles, type ConfigFileEntries,
} from "../model/catalog/neusim-files.js";
import { LoadFileError, parseLoads } from "../model/routing/measured.js";
import { isHuggingFaceConfig, modelFromHuggingFace } from "../model/catalog/huggingface.js";

function readJson(path: string, shown: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ConfigFileError(`${shown}: cannot read the NeuSim config file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ConfigFileError(`${shown}: not valid JSON: ${(err as Error).message}`);
  }
}

function readText(path: string, shown: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new LoadFileError(`${shown}: cannot read the loads file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/**
 * Load every .json value of `chip` and `model` among `values`, and every
 * expert_load_file, register them, and return them (for workers).
 */
export function loadConfigFiles(values: { chip: unknown[]; model: unknown[]; expert_load_file?: unknown[] }, baseDir: string): ConfigFileEntries | undefined {
  const entries: ConfigFileEntries = { chips: {}, models: {} };
  let any = false;
  for (const v of new Set(values.expert_load_file ?? [])) {
    if (typeof v !== "string" || v === "") continue;
    entries.loads = { ...entries.loads, [v]: parseLoads(v, readText(resolve(baseDir, v), v)) };
    any = true;
  }
  for (const v of new Set(values.chip)) {
    if (!isConfigFilePath(v)) continue;
    const raw = readJson(resolve(baseDir, v), v);
    entries.chips[v] = chipFromNeusimJson(v, raw);
    entries.chipPowers = { ...entries.chipPowers, [v]: chipPowerFromNeusimJson(v, raw) };
    any = true;
  }
  for (const v of new Set(values.model)) {
    if (!isConfigFilePath(v)) continue;
    const raw = readJson(resolve(baseDir, v), v);
    // A Hugging Face config.json (it has a model_type) or a NeuSim model file.
    entries.models[v] = isHuggingFaceConfig(raw) ? modelFromHuggingFace(v, raw) : modelFromNeusimJson(v, raw);
    any = true;
  }
  if (!any) return undefined;
  registerConfigFiles(entries);
  return entries;
}
