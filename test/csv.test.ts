import { describe, expect } from "vitest";
import { fc, test as fcTest } from "@fast-check/vitest";
import { stringify } from "csv-stringify/sync";
import { csvText } from "../src/engine/rows.js";
import { compileRowFormatter, CSV_OPTIONS, type ColumnSource } from "../src/engine/row-format.js";

const value = fc.oneof(
  fc.double(), fc.integer(), fc.constantFrom(0, -0, 1e21, 1e-7, Number.MAX_SAFE_INTEGER, 0.1 + 0.2, NaN),
  fc.boolean(), fc.constant(null), fc.constant(undefined), fc.string(), fc.string({ unit: fc.constantFrom("a", ",", '"', "\n", "\r", " ", "é") }),
);

describe("csvText", () => {
  fcTest.prop([fc.array(fc.array(value, { minLength: 1, maxLength: 8 }), { maxLength: 20 })], { numRuns: 500 })(
    "writes exactly the bytes csv-stringify writes", (rows) => {
      expect(csvText(rows)).toBe(rows.length ? stringify(rows, CSV_OPTIONS) : "");
    });
});

describe("compiled row formatter", () => {
  const SOURCES: ColumnSource[] = ["config", "outputs", "energy"];
  // Rows drawn from few values per column, so a column's value often repeats from the previous row (its cached text).
  const column = fc.record({ source: fc.constantFrom(...SOURCES), values: fc.array(value, { minLength: 1, maxLength: 3 }) });
  fcTest.prop([fc.array(column, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { minLength: 1, maxLength: 30 }), fc.boolean()], { numRuns: 500 })(
    "writes, row after row, exactly the bytes csv-stringify writes", (cols, picks, withEnergy) => {
      const row = compileRowFormatter([{ name: "point_index", source: "index" }, { name: "config_key", source: "key" }, ...cols.map((c, j) => ({ name: `col${j}`, source: c.source }))]);
      picks.forEach((pick, r) => {
        const objs: Record<ColumnSource, Record<string, unknown>> = { index: {}, key: {}, config: {}, outputs: {}, energy: {} };
        const expected: unknown[] = [r, `k${pick}`];
        cols.forEach((c, j) => {
          const v = c.values[(pick + j) % c.values.length];
          objs[c.source][`col${j}`] = v;
          expected.push(c.source === "energy" && !withEnergy ? undefined : v);
        });
        expect(row(r, `k${pick}`, objs.config, objs.outputs, withEnergy ? objs.energy : undefined)).toBe(stringify([expected], CSV_OPTIONS));
      });
    });
});
