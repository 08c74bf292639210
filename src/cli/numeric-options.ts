/**
 * Numeric command-line options, checked: not a number, NaN, out of range or
 * (where an integer is needed) fractional -> exit 2 naming the option and the
 * allowed range. yargs's own `type: "number"` turns "abc" into NaN silently.
 */
import type { Options } from "yargs";
import { InputError } from "../errors.js";

/** A bad command-line value: exit 2. */
export class UsageFault extends InputError {}

export interface NumberRule {
  integer?: boolean;
  min: number;
  max: number;
  /** min itself is not allowed (e.g. seconds > 0). */
  minExclusive?: boolean;
}

export function rangeText(rule: NumberRule): string {
  const kind = rule.integer ? "an integer" : "a number";
  if (rule.max === Infinity) return `${kind} ${rule.minExclusive ? ">" : ">="} ${rule.min}`;
  return `${kind} ${rule.minExclusive ? `> ${rule.min} and <= ${rule.max}` : `from ${rule.min} to ${rule.max}`}`;
}

export function checkNumber(option: string, raw: unknown, rule: NumberRule): number {
  const text = Array.isArray(raw) ? raw[raw.length - 1] : raw;
  const v = typeof text === "number" ? text : typeof text === "string" && text.trim() !== "" ? Number(text) : NaN;
  const ok = Number.isFinite(v) && (rule.minExclusive ? v > rule.min : v >= rule.min) && v <= rule.max && (!rule.integer || Number.isInteger(v));
  if (!ok) throw new UsageFault(`--${option} = ${JSON.stringify(text ?? "")}: must be ${rangeText(rule)}`);
  return v;
}

/** A yargs option whose value is checked against `rule` as it is parsed. */
export function numberOption(option: string, rule: NumberRule, describe: string, defaultValue?: number): Options {
  return {
    describe: `${describe} (${rangeText(rule)})`,
    requiresArg: true,
    ...(defaultValue === undefined ? {} : { default: defaultValue }),
    coerce: (raw: unknown) => checkNumber(option, raw, rule),
  };
}
