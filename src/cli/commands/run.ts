/** `moesweep run <spec>`: evaluate every point of a sweep on a worker pool, into CSV. */
import type { Argv } from "yargs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { DEFAULT_CHUNK_SIZE, runSweep } from "../../engine/run.js";
import { parseShard, shardDirName, shardFromEnv } from "../../engine/shard.js";
import { loadSpecFile } from "../../spec/load.js";
import { InputError } from "../../errors.js";

export const runCommand = {
  command: "run <spec>",
  describe: "Run a sweep spec into results/<name>/ (results.csv, errors.csv, manifest.json); resumes where it stopped",
  builder: (y: Argv) =>
    y.positional("spec", { type: "string", describe: "sweep spec file (.yaml, .yml or .json)", demandOption: true })
      .option("out", { type: "string", describe: "output folder [default: results/<spec name>]" })
      .option("workers", { type: "number", default: availableParallelism(), describe: "worker threads" })
      .option("chunk-size", { type: "number", default: DEFAULT_CHUNK_SIZE, describe: "points per task (any value gives the same bytes)" })
      .option("shard", { type: "string", describe: "run only shard i of n (0-based i/n): a contiguous, balanced index range, in its own folder" })
      .option("shards", { type: "number", describe: "number of shards, for Kubernetes Indexed Jobs (the index comes from JOB_COMPLETION_INDEX)" })
      .option("restart", { type: "boolean", default: false, describe: "discard what the output folder holds and start over" })
      .option("checkpoint-every", { type: "number", default: 2, describe: "seconds between durable checkpoints (fsync + manifest)" })
      .option("quiet", { type: "boolean", default: false, describe: "no progress output (the final summary is still printed)" })
      .example("$0 run sweeps/deepseek-imbalance.yaml", "the default sweep, all cores")
      .example("$0 run sweeps/deepseek-imbalance.yaml --workers 1 --out /tmp/one", "same bytes, one thread")
      .example("$0 run sweeps/deepseek-imbalance.yaml --shard 3/16", "the 4th of 16 shards, into results/deepseek-imbalance.shard-0003-of-0016/ (merge them with `moesweep merge`)")
      .epilogue("Shards: --shard i/n, or from the environment: SLURM_ARRAY_TASK_ID (minus SLURM_ARRAY_TASK_MIN) of SLURM_ARRAY_TASK_COUNT in a Slurm job array, JOB_COMPLETION_INDEX with --shards n in a Kubernetes Indexed Job. Each shard resumes on its own. Ctrl-C or SIGTERM stops cleanly after the chunks in flight; rerunning the same command resumes, and the final results.csv equals an uninterrupted run byte for byte. Exit status: 0 done, 1 some points failed, 2 bad input, 130 interrupted."),
  handler: async (argv: Record<string, unknown>) => {
    const spec = loadSpecFile(String(argv.spec));
    const workers = Number(argv.workers);
    const chunkSize = Number(argv["chunk-size"]);
    if (!Number.isInteger(workers) || workers < 1) throw new UsageFault(`--workers = ${argv.workers}: must be an integer >= 1`);
    if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new UsageFault(`--chunk-size = ${argv["chunk-size"]}: must be an integer >= 1`);
    const shards = argv.shards === undefined ? undefined : Number(argv.shards);
    const shard = argv.shard !== undefined ? parseShard(String(argv.shard)) : shardFromEnv(process.env, shards);
    const defaultOut = join("results", shard ? shardDirName(spec.name, shard) : spec.name);
    const summary = await runSweep({
      spec, outDir: argv.out ? String(argv.out) : defaultOut, workers, chunkSize, shard,
      restart: Boolean(argv.restart), quiet: Boolean(argv.quiet), checkpointEverySeconds: Number(argv["checkpoint-every"]),
    });
    process.stdout.write(summary.message + "\n");
    process.exitCode = summary.exitCode;
  },
};

/** A bad command-line value: exit 2. */
export class UsageFault extends InputError {}
