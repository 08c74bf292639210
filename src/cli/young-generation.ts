/**
 * Keep the process's young generation (V8's nursery for new objects) at its first size,
 * for `moesweep run`. V8 grows it to 16 MB per semi-space once enough objects have survived
 * collections, which every long process reaches, and never gives the room back. A sweep's
 * main thread only hands out index ranges and appends bytes, so it gains nothing from a
 * large nursery but pays for it in peak RSS (the workers' nurseries are set in
 * engine/run.ts). Not for the other commands: `figures` streaming 400,000 rows ran 20%
 * slower and peaked 40 MB higher with it (short-lived rows promoted too early).
 * The flag is read at each growth decision, so setting it at startup holds.
 */
import { setFlagsFromString } from "node:v8";

export function keepYoungGenerationSmall(): void {
  setFlagsFromString("--semi-space-growth-factor=1");
}

/**
 * Collect each thread's young generation on that thread alone, for `moesweep run` (V8's flags
 * are the process's: the workers started later get it too). V8 hands a scavenge to helper
 * threads as well; with the workers on every core those helpers wait for one, and a worker's
 * 1 MB nursery has too little in it to share out. 2 workers, bench sweeps, alternating runs:
 * typical 162-174k -> 170-179k points/s (second half 236-242k -> 242-253k), one worker
 * 125-127k -> 131-132k, worst case 74-75k -> 74-79k; in-process (a core to spare) no change.
 * Like the flag above, it is read at each collection, so setting it at startup holds.
 */
export function scavengeOnOwnThread(): void {
  setFlagsFromString("--no-parallel-scavenge");
}

/** The command named on a command line (its first argument that is not an option). */
export function commandOf(argv: readonly string[]): string | undefined {
  return argv.slice(2).find((a) => !a.startsWith("-"));
}
