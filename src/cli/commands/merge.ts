/** `moesweep merge <dir>... --out <dir>`: join shard outputs into one result set. */
import type { Argv } from "yargs";
import { mergeShards } from "../../engine/merge.js";
import { describeCounts } from "../../engine/run.js";

export const mergeCommand = {
  command: "merge <dirs..>",
  describe: "Merge the output folders of all n shards of a sweep into one, byte-identical to an unsharded run",
  builder: (y: Argv) =>
    y.positional("dirs", { type: "string", array: true, describe: "shard output folders (any order)", demandOption: true })
      .option("out", { type: "string", demandOption: true, describe: "folder for the merged results.csv, errors.csv, manifest.json" })
      .example("$0 merge results/deepseek-imbalance.shard-* --out results/deepseek-imbalance", "after a 16-task Slurm array")
      .epilogue("Checks first, writes nothing on error: every shard present once, complete, from the same spec hash and moesweep version, with no gap or overlap."),
  handler: (argv: Record<string, unknown>) => {
    const dirs = (argv.dirs as string[]).map(String);
    const m = mergeShards(dirs, String(argv.out));
    process.stdout.write(`merged ${dirs.length} shards of ${m.spec.name}: ${m.points.total} points (${describeCounts(m.points)}) -> ${String(argv.out)}\n`);
  },
};
