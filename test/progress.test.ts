/** Progress: ETA from a recent window, durations that never read "1m60s". */
import { describe, expect, it } from "vitest";
import { formatDuration, RecentRate } from "../src/engine/progress.js";

describe("progress", () => {
  it("formats durations without 60s or 60m", () => {
    expect(formatDuration(59.4)).toBe("59s");
    expect(formatDuration(59.5)).toBe("1m00s");
    expect(formatDuration(119.6)).toBe("2m00s");
    expect(formatDuration(3599.6)).toBe("1h00m");
    expect(formatDuration(Infinity)).toBe("?");
  });

  it("measures the rate over the recent window, not since the start", () => {
    const r = new RecentRate(30_000);
    expect(r.perSecond()).toBeNaN();
    r.add(0, 0);
    r.add(10_000, 1000); // a fast start: 100 points/s
    r.add(40_000, 1300); // then 10 points/s
    expect(r.perSecond()).toBe(10); // the average since the start would be 32.5
    r.add(70_000, 1600);
    expect(r.perSecond()).toBe(10);
  });
});
