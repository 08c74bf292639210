#!/usr/bin/env node
/** moesweep command-line entry point. */
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { ConfigError } from "../model/config.js";
import { evalCommand } from "./commands/eval.js";

/** Input errors (bad field, bad spec) exit 2 with one line on stderr. */
export class UsageError extends Error {}

function fail(message: string): never {
  process.stderr.write(`moesweep: ${message}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  try {
    await yargs(hideBin(process.argv))
      .scriptName("moesweep")
      .usage("$0 <command> [options]\n\nMoE inference cost under expert-routing load imbalance, NeuSim-faithful, at sweep scale.")
      .command(evalCommand)
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
    if (err instanceof ConfigError || err instanceof UsageError) fail(err.message);
    throw err;
  }
}

void main();
