/**
 * Keep this process's young generation (V8's nursery for new objects) at its first size.
 * V8 grows it to 16 MB per semi-space once enough objects have survived collections,
 * which every long process reaches, and never gives the room back: a sweep's main
 * thread only hands out index ranges and appends bytes, so it gains nothing from a large
 * nursery but pays for it in peak RSS (the workers' nurseries are set in engine/run.ts).
 * The flag is read at each growth decision, so setting it now holds; this module is the
 * entry point's first import so it is set before the other modules are loaded.
 */
import { setFlagsFromString } from "node:v8";

setFlagsFromString("--semi-space-growth-factor=1");
