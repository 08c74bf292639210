import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { commandOf } from "../src/cli/young-generation.js";

describe("run's small young generation", () => {
  it("is for the run command only (the first argument that is not an option)", () => {
    expect(commandOf(["node", "main.js", "run", "sweep.yaml", "--workers", "2"])).toBe("run");
    expect(commandOf(["node", "main.js", "--quiet", "run", "sweep.yaml"])).toBe("run");
    expect(commandOf(["node", "main.js", "figures", "run"])).toBe("figures");
    expect(commandOf(["node", "main.js", "--help"])).toBeUndefined();
  });

  /** New space's committed MB after allocating 20M short-lived objects, a few kept (as a long run does). */
  const newSpaceMb = (setFlag: boolean) => {
    const flagModule = fileURLToPath(new URL("../dist/src/cli/young-generation.js", import.meta.url));
    const script = `
      const { keepYoungGenerationSmall } = await import(${JSON.stringify(flagModule)});
      if (${setFlag}) keepYoungGenerationSmall();
      const v8 = await import("node:v8");
      const kept = [];
      for (let i = 0; i < 2e7; i++) { const o = { i, a: [i] }; if (i % 500 === 0) kept.push(o); }
      const s = v8.getHeapSpaceStatistics().find((x) => x.space_name === "new_space");
      console.log(s.physical_space_size / 1048576, kept.length);`;
    return Number(execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" }).split(" ")[0]);
  };

  it("keeps V8's nursery at its first size, where it would otherwise grow", () => {
    const grown = newSpaceMb(false);
    const kept = newSpaceMb(true);
    expect(grown).toBeGreaterThanOrEqual(4); // default: semi-spaces doubled at least once
    expect(kept).toBeLessThanOrEqual(2.5); // two 1 MB semi-spaces (and a page or so)
  });
});
