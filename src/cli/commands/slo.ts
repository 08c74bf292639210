/** `moesweep slo <results>`: NeuSim's SLO picks over a sweep, and the chips imbalance costs. */
import type { Argv } from "yargs";
import { stringify } from "csv-stringify/sync";
import { InputError } from "../../errors.js";
import { CHIP_IDS } from "../../model/catalog/chips.js";
import { csvRows, resultsPath } from "../../report/result-set.js";
import { SLO_INPUT_COLUMNS, sloColumns, sloTable } from "../../report/slo-table.js";
import { NEUSIM_REFERENCE } from "../../report/slo.js";
import { checkNumber } from "../numeric-options.js";
import { table } from "../format.js";

const SUMMARY = ["slo_scale", "chip", "ref_TTFT_sec", "ref_TPOT_ms_request", "min_num_chips", "balanced_min_num_chips", "optimal_num_chips",
  "optimal_throughput_per_chip", "optimal_energy_eff_num_chips", "optimal_energy_eff_joule_per_good", "optimal_cost_num_chips"];

export const sloCommand = {
  command: "slo <results>",
  describe: "NeuSim's SLO analysis over a sweep: per SLO scale and chip the fewest chips that meet it, the best throughput per chip, the least energy per token, the most cost-efficient pick; and per imbalance factor f the fewest chips that meet the balanced SLO",
  builder: (y: Argv) =>
    y.positional("results", { type: "string", describe: "run folder or results CSV (with the energy columns throughput_tokens_per_sec, energy_per_token_J, system_avg_power_W)", demandOption: true })
      .option("scales", {
        type: "string", default: "1,2,3,4,5,6", describe: "SLO scales: multiples of the reference latency, comma-separated (NeuSim's run script: 1-6)",
        coerce: (v: unknown) => String(v).split(",").map((s) => checkNumber("scales", s.trim(), { min: 1e-6, max: 1e6 })),
      })
      .option("reference-chip", { type: "string", default: NEUSIM_REFERENCE.chip, describe: "the SLO's reference: the fewest fitting chips of this kind at --reference-batch, then its lowest latency (NeuSim: tpuv5p)" })
      .option("reference-batch", { type: "number", default: NEUSIM_REFERENCE.global_batch_size, describe: "global batch of the reference points (NeuSim: 1)" })
      .option("csv", { type: "boolean", default: false, describe: "print every column (NeuSim's slo_results columns and the picks' config_keys) as CSV" })
      .option("markdown", { type: "boolean", default: false, describe: "print the summary as a Markdown table" })
      .example("$0 run sweeps/paper/slo.yaml && $0 slo results/paper-slo", "the shipped SLO sweep: summary per group, f, SLO scale and chip")
      .example("$0 slo results/paper-slo --csv > slo.csv", "every pick, with config_keys to join back to results.csv")
      .epilogue(
        "Latency is TTFT in s for prefill rows and TPOT in ms for decode rows. A group is every config field but the design choices "
        + "(chip, num_chips, parallelism degrees, global_batch_size) and f; when a group has balanced points (f = 1) their SLO holds for every f "
        + "(balanced_min_num_chips is theirs), else each f sets its own SLO as NeuSim does. The sweep must write the energy columns: "
        + "name throughput_tokens_per_sec, energy_per_token_J and system_avg_power_W in the spec's columns:.",
      ),
  handler: async (argv: Record<string, unknown>) => {
    const refChip = String(argv["reference-chip"]);
    if (!CHIP_IDS.includes(refChip) && !refChip.endsWith(".json")) throw new InputError(`--reference-chip ${refChip}: not a chip; allowed: ${CHIP_IDS.join(", ")}`);
    const refBatch = checkNumber("reference-batch", argv["reference-batch"], { integer: true, min: 1, max: 2 ** 24 });
    const path = resultsPath(String(argv.results));
    let count = 0;
    // The rows stream into the analysis, which keeps only each point's candidate numbers.
    async function* records(): AsyncGenerator<Record<string, string>> {
      let header: string[] | undefined;
      for await (const row of csvRows(path)) {
        if (!header) {
          header = row;
          const missing = ["chip", "phase", ...SLO_INPUT_COLUMNS].filter((c) => !row.includes(c));
          if (missing.length) throw new InputError(`${path}: no column ${missing.join(", ")}; the SLO analysis needs them (add the energy columns to the spec's columns:, e.g. columns: [phase_time_ns, out_of_memory, prefill_time_ns, decode_time_per_token_ns, throughput_tokens_per_sec, energy_per_token_J, system_avg_power_W])`);
          continue;
        }
        count++;
        yield Object.fromEntries(header.map((h, i) => [h, row[i]]));
      }
    }
    const t = await sloTable(records(), { scales: argv.scales as number[], reference: { chip: refChip, global_batch_size: refBatch } });
    if (count === 0) throw new InputError(`${path}: no results to analyse`);
    for (const n of t.notes) process.stderr.write(`moesweep slo: ${n}\n`);
    if (t.rows.length === 0) throw new InputError(`${path}: no group has an SLO reference (see above)`);
    const cols = sloColumns(t);
    if (argv.csv) {
      process.stdout.write(stringify(t.rows.map((r) => cols.map((c) => r[c] ?? "")), { header: true, columns: cols }));
      return;
    }
    const summary = [...t.varying, "expert_load_imbalance_factor", ...SUMMARY].filter((c) => cols.includes(c));
    const cells = t.rows.map((r) => summary.map((c) => r[c] ?? ""));
    if (argv.markdown) {
      const line = (xs: unknown[]) => `| ${xs.map(String).join(" | ")} |`;
      process.stdout.write([line(summary), line(summary.map(() => "---")), ...cells.map(line)].join("\n") + "\n");
    } else {
      process.stdout.write(table(summary, cells) + "\n");
    }
  },
};
