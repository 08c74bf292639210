/** Every config field as a `--<field> <value>` CLI option, grouped as in the docs. */
import type { Argv } from "yargs";
import { FIELDS, type FieldGroup } from "../model/config.js";
import { coerceConfigInput } from "../sweep-spec/coerce.js";
import type { ConfigInput } from "../model/config.js";
import { loadConfigFiles } from "../sweep-spec/config-files.js";

const GROUP_TITLES: Record<FieldGroup, string> = {
  identity: "Design point:",
  workload: "Workload:",
  parallelism: "Parallelism:",
  imbalance: "Load imbalance (worst case):",
  routing: "Routing models and EPLB:",
  model: "Model architecture (defaults from --model):",
  chip: "Chip (defaults from --chip):",
  energy: "Energy and carbon (with eval --energy or the energy columns):",
};

export function withConfigOptions<T>(y: Argv<T>): Argv<T> {
  for (const spec of FIELDS) {
    y = y.option(spec.name, {
      type: "string",
      describe: spec.choices ? `${spec.describe} [${spec.choices.join(", ")}]` : spec.describe,
      group: GROUP_TITLES[spec.group],
      requiresArg: true,
    }) as Argv<T>;
  }
  return y;
}

/** The config fields given on the command line, typed. */
export function configInputFromArgv(argv: Record<string, unknown>): ConfigInput {
  const raw: Record<string, unknown> = {};
  for (const spec of FIELDS) {
    const v = argv[spec.name];
    if (v === undefined) continue;
    if (Array.isArray(v)) raw[spec.name] = v[v.length - 1];
    else raw[spec.name] = v;
  }
  loadConfigFiles({ chip: [raw.chip], model: [raw.model], expert_load_file: [raw.expert_load_file] }, process.cwd());
  return coerceConfigInput(raw);
}
