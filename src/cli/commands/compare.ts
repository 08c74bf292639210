/** `moesweep compare <baseline> <candidate>`: what moved between two result sets. */
import type { Argv } from "yargs";
import { compareResults } from "../../report/compare.js";
import { formatMarkdown, formatText } from "../../report/compare-format.js";
import { numberOption } from "../numeric-options.js";

const list = (v: unknown) => (v === undefined ? undefined : String(v).split(",").map((s) => s.trim()).filter(Boolean));

export const compareCommand = {
  command: "compare <baseline> <candidate>",
  describe: "Join two result sets on config_key and report, per group and metric, what changed (regression check for CI)",
  builder: (y: Argv) =>
    y.positional("baseline", { type: "string", describe: "run folder or results CSV", demandOption: true })
      .positional("candidate", { type: "string", describe: "run folder or results CSV", demandOption: true })
      .option("by", { type: "string", describe: "group by these columns, comma-separated (e.g. model,phase)" })
      .option("metrics", { type: "string", describe: "compare these columns [default: every model output]" })
      .option("tolerance", numberOption("tolerance", { min: 0, max: 1 }, "relative difference below which values are equal", 1e-9))
      .option("fail-above", numberOption("fail-above", { min: 0, max: 1e6 }, "exit 1 when any |candidate/baseline - 1| exceeds this", 0.01))
      .option("top", numberOption("top", { integer: true, min: 0, max: 100_000 }, "how many of the largest changes to list", 10))
      .option("json", { type: "boolean", default: false, describe: "print the report as JSON" })
      .option("markdown", { type: "boolean", default: false, describe: "print the report as Markdown (for a pull request)" })
      .example("$0 compare results/before results/after --by model,phase --metrics moe_layer_time_ns,phase_time_ns", "what a model change moved")
      .epilogue("Exit status: 0 within --fail-above (and the same points on both sides), 1 otherwise, 2 on bad input (missing file, different columns, no common config_key, malformed CSV)."),
  handler: async (argv: Record<string, unknown>) => {
    const report = await compareResults(String(argv.baseline), String(argv.candidate), {
      by: list(argv.by) ?? [], metrics: list(argv.metrics), tolerance: Number(argv.tolerance),
      failAbove: Number(argv["fail-above"]), top: Number(argv.top),
    });
    process.stdout.write(argv.json ? JSON.stringify(report, null, 2) + "\n" : argv.markdown ? formatMarkdown(report) : formatText(report));
    process.exitCode = report.pass ? 0 : 1;
  },
};
