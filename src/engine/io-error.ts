/**
 * File-system failures as one line a user can act on: the path, what went
 * wrong in words, and what to do. Used for errors while a run writes (its
 * checkpoint stays resumable) and, by the CLI, for any other file error.
 */
import { InputError } from "../errors.js";

const REASONS: Record<string, string> = {
  ENOSPC: "the disk is full",
  EDQUOT: "the disk quota is exhausted",
  EROFS: "the file system is read-only",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENAMETOOLONG: "the name is too long for the file system",
  ENOTDIR: "a part of the path is a file, not a folder",
  EISDIR: "it is a folder, not a file",
  ENOENT: "no such file or folder",
  EEXIST: "it already exists",
  EMFILE: "too many open files",
  EIO: "an input/output error from the device",
};

/** True for a Node file-system error (it carries an errno code). */
export function isFsError(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === "string" && typeof (err as NodeJS.ErrnoException).syscall === "string";
}

/** "cannot write /x/results.csv: the disk is full (ENOSPC)". */
export function describeFsError(err: NodeJS.ErrnoException): string {
  const what = err.syscall === "open" || err.syscall === "mkdir" || err.syscall === "rename" ? err.syscall === "mkdir" ? "create" : err.syscall : err.syscall ?? "access";
  const path = err.path ?? (err as { dest?: string }).dest ?? "a file";
  const reason = REASONS[err.code ?? ""] ?? err.message;
  return `cannot ${what === "write" || what === "fsync" || what === "ftruncate" ? "write" : what} ${path}: ${reason} (${err.code})`;
}

/** A write or fsync failed during a run: the message says what is safe and how to resume. */
export class RunIoError extends InputError {
  constructor(err: NodeJS.ErrnoException, advice: string) {
    super(`${describeFsError(err)}; ${advice}`);
  }
}
