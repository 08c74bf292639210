/** `moesweep figures <results-dir>`: paper figures (SVG + vega-lite spec) from a result set. */
import type { Argv } from "yargs";
import { KIND_NAMES } from "../../report/figures/kinds.js";
import type { FigureFormat } from "../../report/figures/render.js";

export const figuresCommand = {
  command: "figures <results>",
  describe: "Draw figures from a result set: SVG plus the vega-lite spec (JSON) beside each, to restyle",
  builder: (y: Argv) =>
    y.positional("results", { type: "string", describe: "run folder (or results CSV)", demandOption: true })
      .option("kind", { type: "string", array: true, choices: KIND_NAMES, describe: "which figures [default: every kind the columns allow]" })
      .option("out", { type: "string", default: "figures", describe: "output folder" })
      .option("format", { type: "string", array: true, choices: ["svg", "png", "pdf"], default: ["svg"], describe: "formats besides the vega-lite spec: svg (always), png (2x), pdf (fonts embedded)" })
      .option("facet", { type: "string", requiresArg: true, describe: "also a row of panels per value of this field" })
      .option("color", { type: "string", requiresArg: true, describe: "colour the lines by this field (line kinds: skew, latency, alltoall, moe-by-w)" })
      .option("where", { type: "string", requiresArg: true, describe: "only rows this expression keeps, in the spec's filter language, e.g. 'expert_parallelism_degree == 8 and chip == \"tpuv5p\"'" })
      .example("$0 figures results/paper-skew --kind skew --out results/figures", "receiver skew vs imbalance factor")
      .epilogue(`Kinds: skew (receiver skew vs f, per EP and W), breakdown (stacked MoE layer time vs f, by phase and EP), latency (TTFT and TPOT vs f over f = 1, per model and chip), heatmap (slowdown over balanced, EP x f). Other config fields are held at their first value unless --where picks others; the subtitle names every field held fixed. Out-of-memory points are left out (noted). Default kinds the data cannot support are skipped with a note. sweeps/paper/*.yaml regenerate each figure's data; npm run figures draws them all into results/figures/.`),
  handler: async (argv: Record<string, unknown>) => {
    // vega is large: load it only for this command, so `run` workers and the main thread stay small.
    const { buildFigures, writeFigures } = await import("../../report/figures/render.js");
    const { figures, notes } = await buildFigures(String(argv.results), argv.kind as string[] | undefined, {
      where: argv.where === undefined ? undefined : String(argv.where),
      facet: argv.facet === undefined ? undefined : String(argv.facet),
      color: argv.color === undefined ? undefined : String(argv.color),
    });
    for (const n of notes) process.stderr.write(`moesweep figures: ${n}\n`);
    const written = await writeFigures(figures, String(argv.out), argv.format as FigureFormat[]);
    process.stdout.write(written.map((p) => `wrote ${p}`).join("\n") + "\n");
  },
};
