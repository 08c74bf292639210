#!/usr/bin/env node
/** moesweep command-line entry point. */
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { InputError } from "../errors.js";
import { evalCommand } from "./commands/eval.js";
import { mergeCommand } from "./commands/merge.js";
import { compareCommand } from "./commands/compare.js";
import { figuresCommand } from "./commands/figures.js";
import { planCommand } from "./commands/plan.js";
import { runCommand } from "./commands/run.js";
import { schemaCommand } from "./commands/schema.js";

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
      .command(schemaCommand)
      .demandCommand(1, "name a command; see --help")
      .strict()
      .parserConfiguration({ "camel-case-expansion": false })
      .wrap(Math.min(110, process.stdout.columns ?? 110))
      .fail((msg, err) => {
        if (err) throw err;
        fail(msg);
      })
      .help()
      .version()
      .parseAsync();
  } catch (err) {
    if (err instanceof InputError) fail(err.message);
    throw err;
  }
}

void main();
