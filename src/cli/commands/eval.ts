/** `moesweep eval`: evaluate one configuration and print its quantities, or its operators. */
import type { Argv } from "yargs";
import { stringify } from "csv-stringify/sync";
import { FIELD_NAMES } from "../../model/config.js";
import { evaluate, OP_COLUMNS, OUTPUT_COLUMNS, opRecord } from "../../model/evaluate.js";
import { evaluateWithEnergy } from "../../model/energy/energy-columns.js";
import { configInputFromArgv, withConfigOptions } from "../config-options.js";
import { keyValueLines, table } from "../format.js";

export const evalCommand = {
  command: "eval",
  describe: "Evaluate one design point (any config field can be set with --<field> <value>)",
  builder: (y: Argv) =>
    withConfigOptions(y)
      .option("json", { type: "boolean", default: false, describe: "print one JSON object (same keys as the CSV columns)" })
      .option("ops", { type: "boolean", default: false, describe: "list every operator of the phase instead of the summary" })
      .option("csv", { type: "boolean", default: false, describe: "with --ops: print the operators as CSV" })
      .option("energy", {
        type: "boolean", default: false,
        describe: "add NeuSim's energy and carbon (DVFS off) under --power_gating_strategy (default NoPG): per-chip phase energy and power, the system's lifetime carbon, energy per token, and the EP group's energy of imbalance (the data dictionary's energy columns)",
      })
      .example("$0 eval --phase decode --energy", "energy per chip, power, energy per token and carbon (3 years, NeuSim's run-script settings)")
      .example("$0 eval --phase decode --json", "DeepSeek-V3 on TPU v5p, seed defaults (f = -1, W = 1)")
      .example(
        "$0 eval --num_routed_experts 10 --num_activated_routed_experts_per_token 2 --expert_parallelism_degree 3 --global_batch_size 1 --input_seqlen 64 --json",
        "the EP-indivisible anchor: 4 experts on the busiest device, receiver skew 2",
      )
      .example("$0 eval --ops --csv > ops.csv", "per-operator times, NeuSim's descriptions and opcodes"),
  handler: (argv: Record<string, unknown>) => {
    const ev = evaluate(configInputFromArgv(argv));
    const configEntries = FIELD_NAMES.map((n) => [n, ev.config[n]] as [string, unknown]);
    if (argv.ops) {
      const records = ev.ops.map((op) => opRecord(op, ev.config));
      if (argv.json) {
        process.stdout.write(JSON.stringify({ config_key: ev.config_key, ops: records }, null, 2) + "\n");
      } else if (argv.csv) {
        process.stdout.write(stringify(records, { header: true, columns: [...OP_COLUMNS] }));
      } else {
        const cols = ["description", "opcode", "count", "execution_time_ns", "bytes_accessed", "bounded_by"] as const;
        process.stdout.write(table([...cols], records.map((r) => cols.map((c) => r[c]))) + "\n");
      }
      return;
    }
    const energy = argv.energy ? evaluateWithEnergy(ev.config).energy : {};
    if (argv.json) {
      const obj = { config_key: ev.config_key, ...Object.fromEntries(configEntries), ...ev.outputs, ...energy };
      process.stdout.write(JSON.stringify(obj, null, 2) + "\n");
      return;
    }
    const outputs = OUTPUT_COLUMNS.map((k) => [k, ev.outputs[k]] as [string, unknown]);
    process.stdout.write(keyValueLines([["config_key", ev.config_key], ...configEntries, ...outputs, ...Object.entries(energy)]) + "\n");
  },
};
