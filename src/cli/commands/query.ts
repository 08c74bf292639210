/** `moesweep query <results-dir> "<SQL>"`: SQL over a run's results (DuckDB). */
import type { Argv } from "yargs";
import { stringify } from "csv-stringify/sync";
import { table } from "../format.js";

export const queryCommand = {
  command: "query <results> <sql>",
  describe: "Run SQL over a run folder with DuckDB: views `results` (results.parquet if present, else results.csv, typed) and `errors`",
  builder: (y: Argv) =>
    y.positional("results", { type: "string", describe: "run folder", demandOption: true })
      .positional("sql", { type: "string", describe: "a DuckDB SQL query", demandOption: true })
      .option("csv", { type: "boolean", default: false, describe: "print CSV" })
      .option("json", { type: "boolean", default: false, describe: "print JSON rows" })
      .example(`$0 query results/deepseek-imbalance "SELECT expert_parallelism_degree, max(receiver_skew) FROM results GROUP BY 1 ORDER BY 1"`, "worst skew per EP degree")
      .example(`$0 query results/deepseek-imbalance "SELECT count(*) FROM results WHERE out_of_memory" --csv`, "how many points do not fit"),
  handler: async (argv: Record<string, unknown>) => {
    const { queryResults } = await import("../../report/duckdb.js"); // a large native module: loaded only here
    const r = await queryResults(String(argv.results), String(argv.sql));
    if (argv.json) process.stdout.write(JSON.stringify(r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c, row[i]]))), null, 2) + "\n");
    else if (argv.csv) process.stdout.write(stringify([r.columns, ...r.rows]));
    else process.stdout.write(table(r.columns, r.rows) + "\n");
  },
};
