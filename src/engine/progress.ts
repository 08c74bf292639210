/** Progress on long runs: a bar on a TTY, a line every few seconds otherwise, nothing with --quiet. */
import cliProgress from "cli-progress";

export interface Progress {
  update(done: number, counts?: ProgressCounts): void;
  stop(): void;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** Points per second over the last `windowMs` (not since the start: a run's speed changes with its shapes). */
export class RecentRate {
  private readonly samples: [number, number][] = [];
  constructor(private readonly windowMs = 30_000) {}

  add(nowMs: number, done: number): void {
    this.samples.push([nowMs, done]);
    while (this.samples.length > 2 && nowMs - this.samples[0][0] > this.windowMs) this.samples.shift();
  }

  /** NaN until two samples a moment apart exist. */
  perSecond(): number {
    if (this.samples.length < 2) return NaN;
    const [t0, d0] = this.samples[0];
    const [t1, d1] = this.samples[this.samples.length - 1];
    return t1 > t0 ? ((d1 - d0) * 1000) / (t1 - t0) : NaN;
  }
}

/** What the bar shows besides progress: how many points were not plain results. */
export interface ProgressCounts {
  invalid: number;
  failed: number;
  out_of_memory: number;
}

function countsText(c: ProgressCounts | undefined): string {
  if (!c) return "";
  return ` | ${c.out_of_memory} OOM, ${c.invalid} invalid, ${c.failed} failed`;
}

export function createProgress(opts: { label: string; total: number; initial: number; quiet: boolean; tty: boolean; intervalMs?: number }): Progress {
  const { label, total, initial } = opts;
  if (opts.quiet) return { update() {}, stop() {} };
  const rate = new RecentRate();
  rate.add(Date.now(), initial);
  const eta = (done: number) => {
    const r = rate.perSecond();
    return done >= total ? "0s" : r > 0 ? formatDuration((total - done) / r) : "?";
  };
  if (opts.tty) {
    const bar = new cliProgress.SingleBar({
      format: `${label} {bar} {percentage}% | {value}/{total} points | {rate} points/s | ETA {myEta}{counts}`,
      stream: process.stderr,
      hideCursor: true,
    }, cliProgress.Presets.shades_classic);
    bar.start(total, initial, { rate: 0, myEta: "?", counts: "" });
    return {
      update(done, counts) {
        rate.add(Date.now(), done);
        const r = rate.perSecond();
        bar.update(done, { rate: Number.isFinite(r) ? Math.round(r) : 0, myEta: eta(done), counts: countsText(counts) });
      },
      stop() { bar.stop(); },
    };
  }
  const every = opts.intervalMs ?? 5000;
  let last = Date.now();
  return {
    update(done, counts) {
      const now = Date.now();
      rate.add(now, done);
      if (now - last < every) return;
      last = now;
      const r = rate.perSecond();
      const pct = total === 0 ? 100 : (100 * done) / total;
      process.stderr.write(`${label}: ${done}/${total} points (${pct.toFixed(1)}%), ${Number.isFinite(r) ? Math.round(r) : "?"} points/s, ETA ${eta(done)}${countsText(counts)}\n`);
    },
    stop() {},
  };
}
