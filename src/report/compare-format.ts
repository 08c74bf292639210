/** Text and Markdown renderings of a comparison report. */
import type { CompareReport, MetricSummary } from "./compare.js";

const x = (r: number) => (Number.isFinite(r) ? `${r.toFixed(r >= 0.995 && r <= 1.005 && r !== 1 ? 4 : 2)}x` : String(r));
const groupLabel = (g: Record<string, string>) => Object.entries(g).map(([k, v]) => `${k}=${v}`).join(" ") || "all";

function rowsOf(report: CompareReport): string[][] {
  const rows: string[][] = [];
  for (const g of report.groups) {
    const changed = g.metrics.filter((m) => m.changed > 0);
    if (changed.length === 0) {
      rows.push([groupLabel(g.group), "(all metrics)", `0/${g.rows}`, "1.00x", "1.00x", "1.00x"]);
      continue;
    }
    for (const m of changed) rows.push([groupLabel(g.group), m.metric, `${m.changed}/${m.rows}`, x(m.min), x(m.median), x(m.max)]);
  }
  return rows;
}

const HEADER = ["group", "metric", "changed", "min", "median", "max"];

/** The top changes as rows: their config fields that differ among them (the rest are the same for all and said once). */
function changeRows(r: CompareReport): { rows: string[][]; common: string } {
  const fields = Object.keys(r.top_changes[0]?.config ?? {});
  const varying = fields.filter((f) => new Set(r.top_changes.map((c) => c.config[f])).size > 1);
  const same = fields.filter((f) => !varying.includes(f)).map((f) => `${f}=${r.top_changes[0].config[f]}`);
  const rows = [["config", "metric", "baseline", "candidate", "ratio", "config_key"],
    ...r.top_changes.map((c) => [varying.map((f) => `${f}=${c.config[f]}`).join(" ") || "-", c.metric, c.baseline, c.candidate, x(c.ratio), c.config_key])];
  return { rows, common: same.join(" ") };
}

function verdict(r: CompareReport): string {
  const missing = r.only_in_baseline.count + r.only_in_candidate.count;
  const dev = Number.isFinite(r.max_abs_change) ? r.max_abs_change.toPrecision(3) : String(r.max_abs_change);
  return r.pass
    ? `PASS: largest |ratio - 1| = ${dev} <= --fail-above ${r.fail_above}${missing ? "" : ", same points"}`
    : `FAIL: largest |ratio - 1| = ${dev} (--fail-above ${r.fail_above})${missing ? `, ${missing} points on one side only` : ""}`;
}

function intro(r: CompareReport): string[] {
  const lines = [
    `baseline:  ${r.baseline.path} (${r.baseline.rows} rows)`,
    `candidate: ${r.candidate.path} (${r.candidate.rows} rows)`,
    r.identical ? "byte-identical" : `not byte-identical; ${r.common} common points (tolerance ${r.tolerance})`,
  ];
  if (r.only_in_baseline.count) lines.push(`only in baseline: ${r.only_in_baseline.count} points, e.g. ${r.only_in_baseline.examples.join(", ")}`);
  if (r.only_in_candidate.count) lines.push(`only in candidate: ${r.only_in_candidate.count} points, e.g. ${r.only_in_candidate.examples.join(", ")}`);
  return lines;
}

function aligned(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ")).join("\n");
}

export function formatText(r: CompareReport): string {
  const out = intro(r);
  if (!r.identical) {
    out.push("", aligned([HEADER, ...rowsOf(r)]));
    if (r.top_changes.length) {
      const { rows, common } = changeRows(r);
      out.push("", `largest changes (top ${r.top_changes.length})${common ? `, all at ${common}` : ""}:`);
      out.push(aligned(rows));
    }
  }
  out.push("", verdict(r));
  return out.join("\n") + "\n";
}

export function formatMarkdown(r: CompareReport): string {
  const table = (rows: string[][]) => [`| ${rows[0].join(" | ")} |`, `|${rows[0].map(() => "---").join("|")}|`, ...rows.slice(1).map((row) => `| ${row.join(" | ")} |`)].join("\n");
  const out = ["### moesweep compare", "", ...intro(r).map((l) => `- ${l}`)];
  if (!r.identical) {
    out.push("", table([HEADER, ...rowsOf(r)]));
    if (r.top_changes.length) {
      const { rows, common } = changeRows(r);
      out.push("", "<details><summary>largest changes</summary>", "", ...(common ? [`all at ${common}`, ""] : []), table(rows), "", "</details>");
    }
  }
  out.push("", `**${verdict(r)}**`);
  return out.join("\n") + "\n";
}

export type { MetricSummary };
