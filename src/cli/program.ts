/** The moesweep command line: its commands, usage errors (exit 2) and fatal-error reporting. */
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { InputError } from "../errors.js";
import { describeFsError, isFsError } from "../engine/io-error.js";
import { FIELD_BY_NAME } from "../model/config.js";
import { evalCommand } from "./commands/eval.js";
import { mergeCommand } from "./commands/merge.js";
import { compareCommand } from "./commands/compare.js";
import { figuresCommand } from "./commands/figures.js";
import { planCommand } from "./commands/plan.js";
import { runCommand } from "./commands/run.js";
import { schemaCommand } from "./commands/schema.js";
import { queryCommand } from "./commands/query.js";
import { columnsCommand } from "./commands/columns.js";
import { modelsCommand } from "./commands/models.js";
import { sloCommand } from "./commands/slo.js";

function fail(message: string): never {
  process.stderr.write(`moesweep: ${message}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  try {
    await yargs(hideBin(process.argv))
      .scriptName("moesweep")
      .usage("$0 <command> [options]\n\nMoE inference cost under expert-routing load imbalance, NeuSim-faithful, at sweep scale.")
      .command(runCommand)
      .command(planCommand)
      .command(mergeCommand)
      .command(compareCommand)
      .command(figuresCommand)
      .command(evalCommand)
      .command(queryCommand)
      .command(sloCommand)
      .command(columnsCommand)
      .command(modelsCommand)
      .command(schemaCommand)
      .demandCommand(1, "name a command; see --help")
      .strict()
      .parserConfiguration({ "camel-case-expansion": false })
      .wrap(Math.min(110, process.stdout.columns ?? 110))
      .fail((msg, err) => {
        // yargs's own parse errors (YError) are usage errors: one line, exit 2.
        if (err && err.name !== "YError") throw err;
        fail(usageMessage(msg ?? err?.message ?? "bad arguments"));
      })
      .help()
      .version()
      .parseAsync();
  } catch (err) {
    if (err instanceof InputError) fail(err.message);
    if (isFsError(err)) fail(`${describeFsError(err)}; check the path, free space or permissions, then run the same command again`);
    throw err;
  }
}

/** yargs says "Not enough arguments following: model"; say which option needs what. */
function usageMessage(msg: string): string {
  const m = /^Not enough arguments following: (.+)$/.exec(msg);
  if (!m) return `${msg} (see --help)`;
  const spec = FIELD_BY_NAME.get(m[1]);
  const allowed = spec?.choices ? `: one of ${spec.choices.join(", ")}` : spec ? `: ${spec.describe}` : "";
  return `--${m[1]} needs a value${allowed}`;
}

void main();
