import { describe, expect, it } from "vitest";
import { fc, test as fcTest } from "@fast-check/vitest";
import { stringify } from "csv-stringify/sync";
import { compileRowWriter, CSV_OPTIONS, csvText, RowBytes, type ColumnSource } from "../src/engine/row-format.js";

const value = fc.oneof(
  fc.double(), fc.integer(), fc.maxSafeInteger(), fc.constantFrom(0, -0, 1e21, 1e-7, 2 ** 53, -(2 ** 53), Number.MAX_SAFE_INTEGER, 0.1 + 0.2, NaN, 9, 10, 99, 100, 1e15, 1e16 - 1),
  fc.boolean(), fc.constant(null), fc.constant(undefined), fc.string(), fc.string({ unit: fc.constantFrom("a", ",", '"', "\n", "\r", " ", "é") }),
);

describe("csvText", () => {
  fcTest.prop([fc.array(fc.array(value, { minLength: 1, maxLength: 8 }), { maxLength: 20 })], { numRuns: 500 })(
    "writes exactly the bytes csv-stringify writes", (rows) => {
      expect(csvText(rows)).toBe(rows.length ? stringify(rows, CSV_OPTIONS) : "");
    });
});

describe("compiled row writer", () => {
  const SOURCES: ColumnSource[] = ["config", "outputs", "energy"];
  // Rows drawn from few values per column, so a column's value often repeats from the previous row (its cached text).
  const column = fc.record({ source: fc.constantFrom(...SOURCES), values: fc.array(value, { minLength: 1, maxLength: 3 }) });
  // A small first buffer, so rows also cross its growth (long strings included).
  fcTest.prop([fc.array(column, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { minLength: 1, maxLength: 30 }), fc.boolean()], { numRuns: 500 })(
    "writes, row after row, exactly the bytes csv-stringify writes", (cols, picks, withEnergy) => {
      const rows = new RowBytes(new ArrayBuffer(16));
      let expectedText = "";
      const writeRow = compileRowWriter([{ name: "point_index", source: "index" }, { name: "config_key", source: "key" }, ...cols.map((c, j) => ({ name: `col${j}`, source: c.source }))]);
      picks.forEach((pick, r) => {
        const objs: Record<ColumnSource, Record<string, unknown>> = { index: {}, key: {}, config: {}, outputs: {}, energy: {} };
        const expected: unknown[] = [r, `k${pick}`];
        cols.forEach((c, j) => {
          const v = c.values[(pick + j) % c.values.length];
          objs[c.source][`col${j}`] = v;
          expected.push(c.source === "energy" && !withEnergy ? undefined : v);
        });
        writeRow(rows, r, `k${pick}`, objs.config, objs.outputs, withEnergy ? objs.energy : undefined);
        expectedText += stringify([expected], CSV_OPTIONS);
      });
      expect(rows.buf.subarray(0, rows.length).toString("utf8")).toBe(expectedText);
    });

  it("keeps room for the row's numbers after a long string fills the buffer", () => {
    const writeRow = compileRowWriter([{ name: "point_index", source: "index" }, { name: "s", source: "config" }, ...[1, 2, 3].map((j) => ({ name: `n${j}`, source: "outputs" as const }))]);
    for (const length of [100, 300, 301, 302, 600]) {
      const rows = new RowBytes(new ArrayBuffer(16));
      const config = { s: "x".repeat(length) }, outputs = { n1: -1.2345678901234567e-300, n2: 1.7976931348623157e308, n3: -(2 ** 53) + 1 };
      writeRow(rows, 0, "", config, outputs, undefined);
      expect(rows.buf.subarray(0, rows.length).toString("utf8")).toBe(stringify([[0, config.s, outputs.n1, outputs.n2, outputs.n3]], CSV_OPTIONS));
    }
  });

  fcTest.prop([fc.array(fc.oneof(fc.maxSafeInteger(), fc.integer({ min: -(2 ** 31), max: 2 ** 31 }),
    fc.integer({ min: 1, max: 2 ** 23 }).chain((k) => fc.constantFrom(k * 1e9 - 1, k * 1e9, k * 1e9 + 1).filter(Number.isSafeInteger))), { minLength: 1, maxLength: 50 })], { numRuns: 300 })(
    "writes integers as String() does, across the 1e9 split", (ints) => {
      const writeRow = compileRowWriter(ints.map((_, j) => ({ name: `n${j}`, source: "outputs" as const })));
      const rows = new RowBytes();
      writeRow(rows, 0, "", {}, Object.fromEntries(ints.map((v, j) => [`n${j}`, v])), undefined);
      expect(rows.buf.subarray(0, rows.length).toString("utf8")).toBe(ints.map(String).join(",") + "\n");
    });

  fcTest.prop([fc.array(fc.double({ noNaN: true }), { minLength: 1, maxLength: 40 }), fc.integer({ min: 2000, max: 4000 })], { numRuns: 20 })(
    "writes thousands of distinct and returning non-integers right (more than a column's number memo holds)", (seeds, rowsCount) => {
      const writeRow = compileRowWriter([{ name: "x", source: "outputs" }]);
      const rows = new RowBytes();
      let expectedText = "";
      for (let r = 0; r < rowsCount; r++) {
        const x = r % 3 === 0 ? seeds[r % seeds.length] : r / 7 + 0.1; // old values come back among new ones
        writeRow(rows, r, "", {}, { x }, undefined);
        expectedText += stringify([[x]], CSV_OPTIONS);
      }
      expect(rows.buf.subarray(0, rows.length).toString("utf8")).toBe(expectedText);
    });
});
