/**
 * Start `moesweep run` as a child and act on it when a condition holds (a file
 * exists, N bytes written, a checkpoint taken), never after a fixed time, so the
 * tests pass on a loaded machine as on an idle one.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { CLI, ROOT } from "./cli.js";

export interface Running {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: () => string;
}

export function startRun(args: string[], env: NodeJS.ProcessEnv = {}): Running {
  const child = spawn(process.execPath, [CLI, "run", ...args, "--quiet"], { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, ...env } });
  let err = "";
  child.stderr!.on("data", (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  return { child, exited, stderr: () => err };
}

/** Poll until cond() is true; fail (naming `what`) if the child exits first or after `timeoutMs`. */
export async function waitFor(what: string, cond: () => boolean, run?: Running, timeoutMs = 120_000): Promise<void> {
  const t0 = Date.now();
  let exited = false;
  void run?.exited.then(() => { exited = true; });
  for (;;) {
    if (cond()) return;
    if (exited) throw new Error(`the run exited before ${what}`);
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The manifest's checkpoint has moved past the start: some points are durable. */
export function checkpointed(dir: string, minDone = 1): boolean {
  try {
    const m = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
    return m.points.done >= minDone;
  } catch {
    return false; // not there yet, or being replaced
  }
}

export function sizeOf(path: string): number {
  return existsSync(path) ? statSync(path).size : 0;
}
