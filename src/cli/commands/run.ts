/** `moesweep run <spec>`: evaluate every point of a sweep on a worker pool, into CSV. */
import type { Argv } from "yargs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { rmSync } from "node:fs";
import { DEFAULT_CHUNK_SIZE, formatBytes, MAX_BYTES_UNASKED, MAX_POINTS_UNASKED, runSweep } from "../../engine/run.js";
import { numberOption, UsageFault } from "../numeric-options.js";
import { parseShard, shardDirName, shardFromEnv } from "../../engine/shard.js";
import { loadSpecFile } from "../../sweep-spec/load.js";
import { SweepPlan } from "../../plan/plan.js";
import { columnDoc } from "../../model/columns.js";
import { catalogHash } from "../../model/catalog/neusim-files.js";

export const runCommand = {
  command: "run <spec>",
  describe: "Run a sweep spec into results/<name>/ (results.csv, errors.csv, manifest.json); resumes where it stopped",
  builder: (y: Argv) =>
    y.positional("spec", { type: "string", describe: "sweep spec file (.yaml, .yml or .json)", demandOption: true })
      .option("out", { type: "string", describe: "output folder [default: results/<spec name>]" })
      .option("workers", numberOption("workers", { integer: true, min: 1, max: MAX_WORKERS }, "worker threads", availableParallelism()))
      .option("chunk-size", numberOption("chunk-size", { integer: true, min: 1, max: 1_000_000 }, "points per task (any value gives the same bytes)", DEFAULT_CHUNK_SIZE))
      .option("shard", { type: "string", requiresArg: true, describe: "run only shard i of n (0-based i/n): a contiguous, balanced index range, in its own folder" })
      .option("shards", numberOption("shards", { integer: true, min: 1, max: 1_000_000 }, "number of shards, for Kubernetes Indexed Jobs (the index comes from JOB_COMPLETION_INDEX)"))
      .option("restart", { type: "boolean", default: false, describe: "discard what the output folder holds and start over" })
      .option("checkpoint-every", numberOption("checkpoint-every", { min: 0, minExclusive: true, max: 3600 }, "seconds between durable checkpoints (fsync + manifest)", 2))
      .option("format", { choices: ["csv", "parquet", "both"] as const, default: "csv", describe: "csv: results.csv (canonical, byte-identical); parquet/both: also results.parquet (typed, via DuckDB), written when the run completes. results.csv is always kept: resume, merge and compare verify it" })
      .option("drop-oom", { type: "boolean", default: false, describe: "leave points that do not fit in HBM out of results.csv (the spec's keep: fits); they are counted" })
      .option("yes", { type: "boolean", default: false, describe: `run even a sweep of more than ${MAX_POINTS_UNASKED.toExponential()} points or ${formatBytes(MAX_BYTES_UNASKED)} of estimated results` })
      .option("quiet", { type: "boolean", default: false, describe: "no progress output (the final summary is still printed)" })
      .example("$0 run sweeps/deepseek-imbalance.yaml", "the default sweep, all cores")
      .example("$0 run sweeps/deepseek-imbalance.yaml --workers 1 --out /tmp/one", "same bytes, one thread")
      .example("$0 run sweeps/deepseek-imbalance.yaml --shard 3/16", "the 4th of 16 shards, into results/deepseek-imbalance.shard-0003-of-0016/ (merge them with `moesweep merge`)")
      .epilogue("Shards: --shard i/n, or from the environment: SLURM_ARRAY_TASK_ID (minus SLURM_ARRAY_TASK_MIN) of SLURM_ARRAY_TASK_COUNT in a Slurm job array, JOB_COMPLETION_INDEX with --shards n in a Kubernetes Indexed Job. Each shard resumes on its own. Ctrl-C or SIGTERM stops cleanly after the chunks in flight; rerunning the same command resumes, and the final results.csv equals an uninterrupted run byte for byte; a resume first checks the files against the last checkpoint's sizes and sha256, and refuses files that were truncated or edited. The output folder is locked (.moesweep.lock) while a run writes. Exit status: 0 done, 1 some points failed, 2 bad input or a file problem, 130 interrupted."),
  handler: async (argv: Record<string, unknown>) => {
    const loaded = loadSpecFile(String(argv.spec));
    const spec = argv["drop-oom"] ? { ...loaded, keep: "fits" as const } : loaded;
    const workers = Number(argv.workers);
    const chunkSize = Number(argv["chunk-size"]);
    const shards = argv.shards === undefined ? undefined : Number(argv.shards);
    if (argv.shard !== undefined && shards !== undefined) throw new UsageFault("give --shard i/n or --shards n (with JOB_COMPLETION_INDEX), not both");
    const shard = argv.shard !== undefined ? parseShard(String(argv.shard)) : shardFromEnv(process.env, shards);
    const defaultOut = join("results", shard ? shardDirName(spec.name, shard) : spec.name);
    const outDir = argv.out ? String(argv.out) : defaultOut;
    if (argv.restart) rmSync(join(outDir, "results.parquet"), { force: true });
    const plan = new SweepPlan(spec);
    const columns = plan.columns.map((c) => columnDoc(c));
    const summary = await runSweep({
      spec, outDir, workers, chunkSize, shard,
      provenance: { command_line: ["moesweep", ...process.argv.slice(2)], cwd: process.cwd(), catalog_sha256: catalogHash(spec.config_files) },
      extraFiles: { "columns.json": JSON.stringify(columns, null, 2) + "\n" },
      restart: Boolean(argv.restart), quiet: Boolean(argv.quiet), checkpointEverySeconds: Number(argv["checkpoint-every"]), yes: Boolean(argv.yes),
    });
    if (summary.status === "complete" && argv.format !== "csv") {
      // DuckDB is a large native module: load it only when asked for, so plain runs stay small.
      const { writeParquet } = await import("../../report/duckdb.js");
      await writeParquet(outDir);
    }
    process.stdout.write(summary.message + "\n");
    process.exitCode = summary.exitCode;
  },
};

/** More threads than this many per core only add contention. */
const MAX_WORKERS = 4 * availableParallelism();
