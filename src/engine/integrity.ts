/**
 * What a run folder's files must hold: byte counts and sha256 digests, kept
 * running while chunks are appended, checked before a resume, an "already
 * complete" answer, a merge or a compare. A file that was truncated, edited or
 * replaced is refused, never padded or trusted.
 */
import { createHash, type Hash } from "node:crypto";
import { closeSync, existsSync, fsync, openSync, readSync, statSync, writeSync } from "node:fs";

/** A file's (or a file prefix's) size and sha256, hex. */
export interface FileDigest {
  bytes: number;
  sha256: string;
}

/** Why a file does not match its digest, or null when it does. */
export type Mismatch = { kind: "missing" } | { kind: "shorter"; bytes: number } | { kind: "size"; bytes: number } | { kind: "content" };

const READ_BLOCK_BYTES = 1 << 20;

/**
 * Hash the first `bytes` bytes of a file. Returns the running hash (to go on
 * appending) and how many bytes the file has at most up to `bytes`.
 */
function hashPrefix(path: string, bytes: number): { hash: Hash; read: number } {
  const hash = createHash("sha256");
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.allocUnsafe(READ_BLOCK_BYTES);
    let read = 0;
    while (read < bytes) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, bytes - read), read);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
      read += n;
    }
    return { hash, read };
  } finally {
    closeSync(fd);
  }
}

/**
 * Check that a file starts with the `expected.bytes` bytes whose digest is
 * `expected.sha256` (exact size too when `exactSize`). On success returns the
 * running hash of that prefix, to be continued by appends.
 */
export function verifyPrefix(path: string, expected: FileDigest, exactSize: boolean, size: number | null): { hash: Hash } | Mismatch {
  if (size === null || !existsSync(path)) return { kind: "missing" };
  if (size < expected.bytes) return { kind: "shorter", bytes: size };
  if (exactSize && size !== expected.bytes) return { kind: "size", bytes: size };
  const { hash, read } = hashPrefix(path, expected.bytes);
  if (read !== expected.bytes) return { kind: "shorter", bytes: read };
  if (hash.copy().digest("hex") !== expected.sha256) return { kind: "content" };
  return { hash };
}

/** One line saying how a file differs from what its manifest recorded. */
export function describeMismatch(path: string, expected: FileDigest, m: Mismatch, recordedBy: string): string {
  switch (m.kind) {
    case "missing": return `${path} is missing, but ${recordedBy} recorded ${expected.bytes} bytes`;
    case "shorter": return `${path} has ${m.bytes} bytes, fewer than the ${expected.bytes} ${recordedBy} recorded (truncated or replaced)`;
    case "size": return `${path} has ${m.bytes} bytes, but ${recordedBy} recorded ${expected.bytes}`;
    case "content": return `${path} differs from what ${recordedBy} recorded (sha256 of its first ${expected.bytes} bytes changed: edited or replaced)`;
  }
}

export function isMismatch(r: { hash: Hash } | Mismatch): r is Mismatch {
  return "kind" in r;
}

/** Digest of a whole file. */
export function digestFile(path: string): FileDigest {
  const { hash, read } = hashPrefix(path, Number.MAX_SAFE_INTEGER);
  return { bytes: read, sha256: hash.digest("hex") };
}

/**
 * Write all of buf at `position`, looping over short writes (a nearly full disk
 * writes part of a buffer before failing). Returns the bytes written (buf.length).
 */
export function writeAll(fd: number, buf: Uint8Array, position: number): number {
  let done = 0;
  while (done < buf.length) done += writeSync(fd, buf, done, buf.length - done, position + done);
  return done;
}

/** An append-only file with its running digest. */
export class DigestedFile {
  constructor(readonly path: string, readonly fd: number, public bytes: number, private readonly hash: Hash) {}

  append(text: string): void {
    if (text.length > 0) this.appendBytes(Buffer.from(text, "utf8"));
  }

  appendBytes(buf: Uint8Array): void {
    if (buf.length === 0) return;
    try {
      this.bytes += writeAll(this.fd, buf, this.bytes);
    } catch (err) {
      throw withPath(err, this.path);
    }
    this.hash.update(buf);
  }

  /** fsync on libuv's thread pool: the bytes appended before the call are durable when it resolves. */
  sync(): Promise<void> {
    return new Promise((resolve, reject) => fsync(this.fd, (err) => (err ? reject(withPath(err, this.path)) : resolve())));
  }

  /** The digest of everything appended so far (the hash goes on). */
  digest(): FileDigest {
    return { bytes: this.bytes, sha256: this.hash.copy().digest("hex") };
  }
}

export const emptyHash = (): Hash => createHash("sha256");

/** The running hash of a file's first `bytes` bytes, unchecked (for manifests that kept no digest). */
export function digestPrefixHash(path: string, bytes: number): Hash {
  return hashPrefix(path, bytes).hash;
}

/** fd-based calls report no path; name the file. */
function withPath(err: unknown, path: string): unknown {
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e === "object" && e.path === undefined) e.path = path;
  return err;
}

/** A file's size, or null when it does not exist. */
export function fileSize(path: string): number | null {
  try {
    return statSync(path).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}
