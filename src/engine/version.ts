/** Facts about this build, for manifests. */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

/** The package root (works from src/ under vitest and from dist/src/ when built). */
export const PACKAGE_ROOT = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string };
      if (pkg.name === "moesweep") return dir;
    } catch { /* keep climbing */ }
    dir = dirname(dir);
  }
  throw new Error("moesweep package.json not found");
})();

export const MOESWEEP_VERSION: string = (JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")) as { version: string }).version;

/** The git commit of the moesweep checkout, if it is one. */
export function gitCommit(): string | null {
  try {
    return execFileSync("git", ["rev-parse", "HEAD"], { cwd: PACKAGE_ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim() || null;
  } catch {
    return null;
  }
}

/** Whether the checkout has uncommitted changes (null outside a git checkout): results from a dirty tree cannot be traced to a commit. */
export function gitDirty(): boolean | null {
  try {
    return execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], { cwd: PACKAGE_ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim() !== "";
  } catch {
    return null;
  }
}
