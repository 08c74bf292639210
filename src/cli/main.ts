#!/usr/bin/env node
/**
 * moesweep command-line entry point. For `run`, the young-generation flags are set before the
 * program's modules are even parsed (a dynamic import), which keeps a few MB more of the main
 * thread's heap from being committed than a first static import would (see young-generation.ts).
 */
import { commandOf, keepYoungGenerationSmall, scavengeOnOwnThread } from "./young-generation.js";

if (commandOf(process.argv) === "run") {
  keepYoungGenerationSmall();
  scavengeOnOwnThread();
}
await import("./program.js");
