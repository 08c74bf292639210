/** `moesweep columns`: the data dictionary of results.csv. */
import type { Argv } from "yargs";
import { allColumnDocs, columnsMarkdownTable } from "../../model/columns.js";

export const columnsCommand = {
  command: "columns",
  describe: "List every column results.csv can have: type, unit and meaning (each run also writes columns.json)",
  builder: (y: Argv) => y.option("json", { type: "boolean", default: false, describe: "print JSON" })
    .option("markdown", { type: "boolean", default: false, describe: "print the README's Markdown table" }),
  handler: (argv: Record<string, unknown>) => {
    const docs = allColumnDocs();
    if (argv.json) process.stdout.write(JSON.stringify(docs, null, 2) + "\n");
    else if (argv.markdown) process.stdout.write(columnsMarkdownTable() + "\n");
    else {
      const rows = [["column", "kind", "type", "unit", "meaning"], ...docs.map((d) => [d.name, d.kind, d.type, d.unit, d.meaning])];
      const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i].length)));
      process.stdout.write(rows.map((r) => r.map((c, i) => (i < 4 ? c.padEnd(widths[i]) : c)).join("  ")).join("\n") + "\n");
    }
  },
};
