/**
 * Vitest global setup: the tests' temporary folders (every mkdtemp under os.tmpdir(), and the CLI
 * runs they start, which inherit TMPDIR) go in one folder, removed when the run ends. Left behind,
 * a few hundred MB per run piled up in /tmp (13 GB seen), and a machine with a full /tmp runs
 * sweeps slower (the bench's main thread: 1.4 -> 0.85 s on a 1.18M-point sweep once it was cleared).
 * MOESWEEP_KEEP_TEST_TMP=1 keeps the folder (its path is printed) to look at after a failure.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), "moesweep-tests-"));
  process.env.TMPDIR = dir;
  return () => {
    if (process.env.MOESWEEP_KEEP_TEST_TMP === "1") console.log(`test folders kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  };
}
