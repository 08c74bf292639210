/** `moesweep plan <spec>`: what a sweep will do, before running it. */
import type { Argv } from "yargs";
import { ConfigError } from "../../model/config.js";
import { SweepPlan } from "../../plan/plan.js";
import { loadSpecFile } from "../../sweep-spec/load.js";
import { table } from "../format.js";
import { numberOption } from "../numeric-options.js";

/** Up to this many points are checked one by one; beyond it, a uniform sample is. */
const EXACT_LIMIT = 200_000;

export const planCommand = {
  command: "plan <spec>",
  describe: "Count a sweep's points, how many the filters drop and how many the model rejects (and why), and show the first points",
  builder: (y: Argv) =>
    y.positional("spec", { type: "string", describe: "sweep spec file", demandOption: true })
      .option("show", numberOption("show", { integer: true, min: 0, max: 10_000 }, "how many of the first points to show", 5))
      .option("json", { type: "boolean", default: false, describe: "print the plan as JSON" }),
  handler: (argv: Record<string, unknown>) => {
    const spec = loadSpecFile(String(argv.spec));
    const plan = new SweepPlan(spec);
    const exact = plan.total <= EXACT_LIMIT;
    const checked = exact ? plan.total : EXACT_LIMIT;
    let filtered = 0, invalid = 0;
    const reasons = new Map<string, number>();
    for (let s = 0; s < checked; s++) {
      const i = exact ? s : Math.floor((s * plan.total) / checked);
      try {
        if (plan.resolvePoint(i) === null) filtered++;
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        invalid++;
        const why = `${err.field}: ${err.allowed}`;
        reasons.set(why, (reasons.get(why) ?? 0) + 1);
      }
    }
    const scale = plan.total / Math.max(1, checked);
    const est = (n: number) => (exact ? n : Math.round(n * scale));
    const show = Math.min(Number(argv.show), plan.total);
    const first = Array.from({ length: show }, (_, i) => plan.pointInput(i));
    const swept = spec.axes.flatMap((a) => a.fields);
    const result = {
      name: spec.name,
      points: plan.total,
      axes: spec.axes.map((a) => ({ fields: a.fields, values: a.values.length })),
      filtered: est(filtered),
      invalid: est(invalid),
      to_evaluate: plan.total - est(filtered) - est(invalid),
      exact,
      invalid_reasons: Object.fromEntries([...reasons.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, est(v)])),
      first_points: first,
    };
    if (argv.json) {
      process.stdout.write(JSON.stringify(result, null, 2) + "\n");
      return;
    }
    const approx = exact ? "" : ` (estimated from ${checked} evenly spaced points)`;
    const lines = [
      `${spec.name}: ${plan.total} points over ${spec.axes.length} axes (${spec.axes.map((a) => `${a.fields.join("+")}: ${a.values.length}`).join(", ") || "none"})`,
      `  dropped by where: ${result.filtered}${approx}`,
      `  invalid for the model: ${result.invalid}${approx}`,
      ...Object.entries(result.invalid_reasons).map(([why, n]) => `    ${n} x ${why}`),
      `  to evaluate: ${result.to_evaluate}`,
      "",
      `first ${show} points (point_index, then the swept fields; order: last axis fastest):`,
      table(["point_index", ...swept], first.map((p, i) => [i, ...swept.map((f) => p[f])])),
    ];
    process.stdout.write(lines.join("\n") + "\n");
  },
};
