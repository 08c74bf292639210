/**
 * An exclusive lock on an output folder for the whole of a run or merge, so two
 * processes never write one folder. The lock is a file created with O_EXCL that
 * names its holder (pid, host, command). A lock left by a process that died
 * (kill -9, power cut) on this host is detected by its pid and taken over; one
 * held from another host is refused with the holder named, since its pid cannot
 * be checked from here.
 */
import { closeSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { InputError } from "../errors.js";

export const LOCK_FILE = ".moesweep.lock";

export class LockHeld extends InputError {}

interface Holder {
  pid: number;
  host: string;
  command: string;
  since: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readHolder(path: string): { text: string; holder: Holder | null } | null {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
  try {
    const h = JSON.parse(text) as Holder;
    return { text, holder: typeof h.pid === "number" && typeof h.host === "string" ? h : null };
  } catch {
    return { text, holder: null }; // torn by a crash while it was being written
  }
}

/** True when the holder is certainly gone: same host, process not running. */
function stale(holder: Holder | null): boolean {
  return holder === null || (holder.host === hostname() && holder.pid !== process.pid && !alive(holder.pid));
}

/**
 * Take the folder's lock (the folder must exist) or throw LockHeld naming the
 * holder. Returns the release function; the lock is also removed at process exit.
 */
export function lockFolder(dir: string, command: string): () => void {
  const path = join(dir, LOCK_FILE);
  const me: Holder = { pid: process.pid, host: hostname(), command, since: new Date().toISOString() };
  const text = JSON.stringify(me) + "\n";
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const fd = openSync(path, "wx");
      try {
        writeSync(fd, text);
      } finally {
        closeSync(fd);
      }
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        process.off("exit", release);
        const now = readHolder(path);
        if (now?.text === text) rmSync(path, { force: true });
      };
      process.on("exit", release);
      return release;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const seen = readHolder(path);
    if (seen === null) continue; // released meanwhile: try again
    if (!stale(seen.holder)) {
      const h = seen.holder!;
      throw new LockHeld(`${dir} is in use by ${h.command} (pid ${h.pid} on ${h.host}, since ${h.since}); wait for it, stop it, or choose another --out${h.host === hostname() ? "" : `; if that process is gone, delete ${path}`}`);
    }
    // Move the stale lock aside under a private name (only one taker can), then check it was the stale one.
    const aside = `${path}.stale-${process.pid}`;
    try {
      renameSync(path, aside);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw err;
    }
    const moved = readHolder(aside);
    if (moved !== null && moved.text !== seen.text) {
      // Another process took the stale lock between our read and our rename: give it back.
      renameSync(aside, path);
      continue;
    }
    rmSync(aside, { force: true });
  }
  throw new LockHeld(`${dir}: could not take ${LOCK_FILE} (it changed hands repeatedly); try again`);
}
