import { describe, expect } from "vitest";
import { fc, test as fcTest } from "@fast-check/vitest";
import { NumberKeyMap, NumberRowMap } from "../src/model/number-key-map.js";

describe("NumberKeyMap", () => {
  // Keys from a small pool of numbers, so keys repeat, share prefixes and collide; lengths vary (the table widens).
  const num = fc.constantFrom(0, 1, 2, 3, 7, 1.5, -4, 1e9, 2 ** 53, 0.1 + 0.2);
  const key = fc.oneof(fc.array(num, { minLength: 1, maxLength: 2 }), fc.array(num, { minLength: 1, maxLength: 30 }));
  const step = fc.oneof(fc.record({ set: key, value: fc.integer() }), fc.record({ get: key }));

  fcTest.prop([fc.array(step, { maxLength: 3000, size: "max" }), fc.oneof(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 2000 }))], { numRuns: 100 })(
    "answers as a Map of the keys' text would, cleared whole when the bound is reached", (steps, bound) => {
      const map = new NumberKeyMap<number>(bound);
      const ref = new Map<string, number>();
      for (const s of steps) {
        if ("set" in s) {
          if (!ref.has(s.set.join()) && ref.size >= bound) ref.clear();
          map.set(s.set, s.value);
          ref.set(s.set.join(), s.value);
        } else {
          expect(map.get(s.get)).toBe(ref.get(s.get.join()));
        }
        expect(map.size).toBe(ref.size);
      }
    });

  fcTest.prop([fc.array(fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 8 }), { minLength: 2000, maxLength: 5000 })], { numRuns: 20 })(
    "keeps every entry up to the bound, through growth (a key's leading numbers, with `length`)", (keys) => {
      const map = new NumberKeyMap<number>(100_000);
      const ref = new Map<string, number>();
      keys.forEach((k, i) => {
        const padded = [...k, 99, 98]; // only the first k.length numbers are the key
        map.set(padded, i, k.length);
        ref.set(k.join(), i);
      });
      for (const k of keys) expect(map.get([...k, -1], k.length)).toBe(ref.get(k.join()));
      expect(map.get([1000])).toBeUndefined();
      expect(map.size).toBe(ref.size);
    });

  fcTest.prop([fc.array(fc.oneof(fc.record({ set: key, row: fc.array(fc.double(), { minLength: 3, maxLength: 3 }) }), fc.record({ get: key })), { maxLength: 3000, size: "max" }),
    fc.oneof(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 2000 }))], { numRuns: 100 })(
    "NumberRowMap keeps each key's row of numbers in one array, through its growth and the clear at the bound", (steps, bound) => {
      const map = new NumberRowMap(bound, 3);
      const ref = new Map<string, number[]>();
      for (const s of steps) {
        if ("set" in s) {
          if (!ref.has(s.set.join()) && ref.size >= bound) ref.clear();
          const at = map.rowFor(s.set);
          map.rows.set(s.row, at);
          ref.set(s.set.join(), s.row);
        } else {
          const at = map.rowOf(s.get);
          const want = ref.get(s.get.join());
          if (!want) expect(at).toBe(-1);
          else expect([...map.rows.subarray(at, at + 3)]).toEqual(want);
        }
        expect(map.size).toBe(ref.size);
        expect(map.rows.length).toBeLessThanOrEqual(bound * 3);
      }
    });
});
