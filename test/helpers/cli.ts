/** Runs the real, built CLI (dist/) as a child process. */
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { expect } from "vitest";

export const ROOT = join(import.meta.dirname, "..", "..");
export const CLI = join(ROOT, "dist", "src", "cli", "main.js");

export function moesweep(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): SpawnSyncReturns<string> {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: opts.cwd ?? ROOT, encoding: "utf8", env: { ...process.env, ...opts.env }, input: opts.input, maxBuffer: 256 << 20,
  });
  // No exit status: killed by a signal or not started at all. Say which, since the assertion will only show "null".
  if (r.status === null) console.error(`moesweep ${args.join(" ")}: no exit status (signal ${r.signal}, error ${r.error?.message}); stderr: ${r.stderr}`);
  return r;
}

export function moesweepJson(args: string[]): Record<string, unknown> {
  const r = moesweep([...args, "--json"]);
  if (r.status !== 0) throw new Error(`moesweep ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

/** Write `spec` (YAML text) to dir/<name>.yaml, run it into dir/<name> on 2 workers, and return its result rows. */
export function runSpecText(dir: string, name: string, spec: string): Record<string, string>[] {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, spec);
  const r = moesweep(["run", file, "--out", join(dir, name), "--workers", "2"]);
  expect(r.status, r.stderr).toBe(0);
  return parse(readFileSync(join(dir, name, "results.csv"), "utf8"), { columns: true }) as Record<string, string>[];
}
