import { describe, expect } from "vitest";
import { fc, test as fcTest } from "@fast-check/vitest";
import { stringify } from "csv-stringify/sync";
import { csvText } from "../src/engine/rows.js";

const CSV_OPTIONS = { cast: { boolean: (v: boolean) => (v ? "true" : "false") } };

describe("csvText", () => {
  const value = fc.oneof(
    fc.double(), fc.integer(), fc.constantFrom(0, -0, 1e21, 1e-7, Number.MAX_SAFE_INTEGER, 0.1 + 0.2),
    fc.boolean(), fc.constant(null), fc.string(), fc.string({ unit: fc.constantFrom("a", ",", '"', "\n", "\r", " ", "é") }),
  );
  fcTest.prop([fc.array(fc.array(value, { minLength: 1, maxLength: 8 }), { maxLength: 20 })], { numRuns: 500 })(
    "writes exactly the bytes csv-stringify writes", (rows) => {
      expect(csvText(rows)).toBe(rows.length ? stringify(rows, CSV_OPTIONS) : "");
    });
});
