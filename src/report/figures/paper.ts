/**
 * `npm run figures`: run every paper sweep (sweeps/paper/<kind>.yaml) and draw its
 * figure into results/figures/ as SVG, PNG and the vega-lite spec. With
 * `--gallery DIR`, also copy the PNGs there (docs/gallery in the README).
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { KIND_NAMES } from "./kinds.js";

const cli = fileURLToPath(new URL("../../cli/main.js", import.meta.url));
const out = join("results", "figures");
const g = process.argv.indexOf("--gallery");
const gallery = g >= 0 ? process.argv[g + 1] : null;
for (const kind of KIND_NAMES) {
  execFileSync(process.execPath, [cli, "run", join("sweeps", "paper", `${kind}.yaml`), "--restart", "--quiet"], { stdio: "inherit" });
  execFileSync(process.execPath, [cli, "figures", join("results", `paper-${kind}`), "--kind", kind, "--out", out, "--format", "svg", "png"], { stdio: "inherit" });
  if (gallery) {
    mkdirSync(gallery, { recursive: true });
    copyFileSync(join(out, `${kind}.png`), join(gallery, `${kind}.png`));
  }
}
