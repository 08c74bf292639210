/** The README stays true: its data dictionary is the code's, and it links nothing outside the repository. */
import { expect, it } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { columnsMarkdownTable } from "../src/model/columns.js";

const ROOT = join(import.meta.dirname, "..");
const readme = readFileSync(join(ROOT, "README.md"), "utf8");

it("the README's column table is generated from src/model/columns.ts", () => {
  const m = /<!-- columns:begin[^>]*-->\n([^]*?)\n<!-- columns:end -->/.exec(readme);
  expect(m).not.toBeNull();
  // Refresh: replace the table between the markers with `npx moesweep columns --markdown`.
  expect(m![1]).toBe(columnsMarkdownTable());
});

it("every relative link in the README points at a file in the repository", () => {
  const links = [...readme.matchAll(/\]\(([^)#]+)(#[^)]*)?\)/g)].map((m) => m[1]).filter((l) => !/^[a-z]+:/.test(l));
  expect(links.length).toBeGreaterThan(3);
  for (const l of links) {
    expect(l, l).not.toMatch(/^\.\.\//);
    expect(existsSync(join(ROOT, l)), l).toBe(true);
  }
  expect(readme).not.toMatch(/shared\//);
  void dirname;
});
