/** Runs the real, built CLI (dist/) as a child process. */
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { join } from "node:path";

export const ROOT = join(import.meta.dirname, "..", "..");
export const CLI = join(ROOT, "dist", "src", "cli", "main.js");

export function moesweep(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [CLI, ...args], {
    cwd: opts.cwd ?? ROOT, encoding: "utf8", env: { ...process.env, ...opts.env }, input: opts.input, maxBuffer: 256 << 20,
  });
}

export function moesweepJson(args: string[]): Record<string, unknown> {
  const r = moesweep([...args, "--json"]);
  if (r.status !== 0) throw new Error(`moesweep ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}
