/**
 * CSV rows byte-identical to csv-stringify's (with CSV_OPTIONS), written straight
 * into a chunk's byte buffer. A per-plan function, compiled once, reads each column
 * by name (one shape per source object: direct property loads) and writes its bytes:
 * integers digit by digit (no string), other values through their text, which each
 * column keeps while its value repeats from the previous row (the config's fields,
 * most outputs across f and W), and for non-integers in a memo by value. No string is
 * made per row. csv-stringify costs about 20 us per result row on this machine; this, about 2 us.
 */
import { stringify } from "csv-stringify/sync";

export const CSV_OPTIONS = { cast: { boolean: (v: boolean) => (v ? "true" : "false") } };

/** A string csv-stringify writes as is (no delimiter, quote or line break to escape). */
const PLAIN = /^[^",\r\n]*$/;
const QUOTE = /"/g;

/** One field as csv-stringify writes it within a row (test/csv.test.ts checks every type). */
function csvCell(v: unknown): string {
  if (typeof v === "number") return String(v);
  if (typeof v === "string") return PLAIN.test(v) ? v : `"${v.replace(QUOTE, '""')}"`;
  if (typeof v === "boolean") return v ? "true" : "false";
  if (v === null || v === undefined) return "";
  // Any other type (never a model output): csv-stringify's own text for that one field.
  return stringify([[v]], CSV_OPTIONS).slice(0, -1);
}

/** One CSV line, byte-identical to csv-stringify's. */
function csvLine(row: readonly unknown[]): string {
  let line = "";
  for (let i = 0; i < row.length; i++) line += (i > 0 ? "," : "") + csvCell(row[i]);
  return line + "\n";
}

/** CSV text of rows (headers, error rows), byte-identical to csv-stringify's. */
export function csvText(rows: readonly (readonly unknown[])[]): string {
  let out = "";
  for (const row of rows) out += csvLine(row);
  return out;
}

const COMMA = 44, NEWLINE = 10, MINUS = 45, ZERO = 48;
/** Bytes a number's cell and its comma can take ("-1.2345678901234567e-308" is 24). */
const NUMBER_CELL_BYTES = 25;
/** Digits of an integer from 0 to 1e9 - 1 (the int32 range's, for the quotient of a safe integer by 1e9: up to 9,007,199). */
function digitCount(v: number): number {
  return v < 1e4 ? (v < 10 ? 1 : v < 100 ? 2 : v < 1e3 ? 3 : 4) : v < 1e6 ? (v < 1e5 ? 5 : 6) : v < 1e7 ? 7 : v < 1e8 ? 8 : 9;
}

/** A string that is all ASCII: written byte per character, no encoder. */
const ASCII = /^[\x00-\x7f]*$/;

/**
 * Rows as UTF-8 bytes in one growing buffer. The buffer is moved, not copied, to
 * the main thread, which hands it back for the next chunk (`reuse`).
 */
export class RowBytes {
  buf: Buffer;
  length = 0;
  /** Room the rest of the row's numbers may need: kept free after any text written. */
  slack = 0;

  constructor(reuse?: ArrayBuffer) {
    this.buf = reuse && reuse.byteLength > 0 ? Buffer.from(reuse) : Buffer.allocUnsafeSlow(64 * 1024);
  }

  reserve(bytes: number): void {
    if (this.length + bytes <= this.buf.length) return;
    const grown = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.length + bytes));
    this.buf.copy(grown, 0, 0, this.length);
    this.buf = grown;
  }

  byte(b: number): void {
    this.buf[this.length++] = b;
  }

  /** A safe integer's digits, as String() writes them (no exponent below 2^53; -0 as "0"). */
  int(v: number): void {
    if (v < 0) {
      this.buf[this.length++] = MINUS;
      v = -v;
    }
    if (v < 1e9) {
      this.digits(v, digitCount(v));
      return;
    }
    // Two halves below 1e9: int32 arithmetic, never a double's fmod. The floor is exact: v / 1e9 is
    // at least 1e-9 from an integer unless it is one, and its rounding error is at most 2^-53 x 2^23 < 1e-9.
    const hi = Math.floor(v / 1e9);
    const lo = v - hi * 1e9;
    this.digits(hi, digitCount(hi));
    this.digits(lo, 9);
  }

  /** v (an integer below 1e9) in exactly `count` digits, zero-padded. */
  private digits(v: number, count: number): void {
    const buf = this.buf;
    let n = v | 0;
    let at = this.length + count;
    this.length = at;
    for (let i = 0; i < count; i++) {
      const q = (n / 10) | 0;
      buf[--at] = ZERO + (n - q * 10);
      n = q;
    }
  }

  /** Text known to be ASCII, one byte per character. */
  ascii(text: string): void {
    const buf = this.buf;
    let at = this.length;
    for (let i = 0; i < text.length; i++) buf[at++] = text.charCodeAt(i);
    this.length = at;
  }

  /** Any text, as UTF-8. */
  utf8(text: string): void {
    this.reserve(text.length * 3 + this.slack); // UTF-8 needs at most 3 bytes per UTF-16 unit
    this.length += this.buf.write(text, this.length, "utf8");
  }

  /** A cell's text, csvCell's; `ascii`: it is known to be all ASCII. */
  text(text: string, ascii: boolean): void {
    if (ascii) {
      this.reserve(text.length + this.slack);
      this.ascii(text);
    } else {
      this.utf8(text);
    }
  }
}

/** Where a column's value comes from. */
export type ColumnSource = "index" | "key" | "config" | "outputs" | "energy";

/** Write one row, "\n" included: (rows, point index, config_key, config, outputs, energy outputs). */
export type RowWriter = (rows: RowBytes, index: number, key: string, config: object, outputs: object, energy: object | undefined) => void;

/** A column's last value and its cell text (equal numbers print equally, 0 and -0 both as "0"; equal strings too). */
class CellCache {
  value: unknown = undefined;
  text = "";
  ascii = true;

  set(v: unknown): void {
    this.value = v;
    this.text = csvCell(v);
    this.ascii = ASCII.test(this.text);
  }
}

const bits = new Float64Array(1);
const bitWords = new Uint32Array(bits.buffer);
const NUMBER_TEXT_SLOTS = 1024;

/**
 * A column's recent non-integer numbers and their text (String() is the costly part of a
 * row): direct-mapped by the double's bits. A sweep's fast axes bring the same values
 * back every few hundred rows (a skew that depends only on f, W and EP, say).
 */
class NumberTexts {
  private readonly keys = new Float64Array(NUMBER_TEXT_SLOTS).fill(NaN); // NaN matches nothing
  private readonly texts = new Array<string>(NUMBER_TEXT_SLOTS).fill("");

  /** String(x): always ASCII. */
  text(x: number): string {
    bits[0] = x;
    const slot = (Math.imul(bitWords[0] ^ Math.imul(bitWords[1], 0x9e3779b1), 0x85ebca6b) >>> 22) & (NUMBER_TEXT_SLOTS - 1);
    if (this.keys[slot] === x) return this.texts[slot];
    const t = String(x);
    this.keys[slot] = x;
    this.texts[slot] = t;
    return t;
  }
}

/** Compile a row writer for these columns. */
export function compileRowWriter(columns: readonly { name: string; source: ColumnSource }[]): RowWriter {
  const valued = (source: ColumnSource) => source !== "index" && source !== "key";
  const caches = columns.map(({ source }) => (valued(source) ? new CellCache() : undefined));
  const numbers = columns.map(({ source }) => (valued(source) ? new NumberTexts() : undefined));
  const cells = columns.map(({ name, source }, i) => {
    const sep = i > 0 ? `r.byte(${COMMA});\n` : "";
    if (source === "index") return `${sep}r.int(i);`;
    if (source === "key") return `${sep}r.text(k, true);`; // hex digits
    const read = `${source === "config" ? "c" : source === "outputs" ? "o" : "e"}[${JSON.stringify(name)}]`;
    const value = source === "energy" ? `(e === undefined ? undefined : ${read})` : read;
    return `${sep}x = ${value};
if (typeof x === "number") { if (Number.isSafeInteger(x)) r.int(x); else r.text(numbers[${i}].text(x), true); }
else if (x !== undefined && x !== null) { const cc = caches[${i}]; if (x !== cc.value) cc.set(x); r.text(cc.text, cc.ascii); }`;
  });
  const body = `return function row(r, i, k, c, o, e) {
  r.slack = ${columns.length * NUMBER_CELL_BYTES + 1};
  r.reserve(r.slack);
  let x;
  ${cells.join("\n")}
  r.byte(${NEWLINE});
};`;
  return new Function("caches", "numbers", body)(caches, numbers) as RowWriter;
}
