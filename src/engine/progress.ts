/** Progress on long runs: a bar on a TTY, a line every few seconds otherwise, nothing with --quiet. */
import cliProgress from "cli-progress";

export interface Progress {
  update(done: number): void;
  stop(): void;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

export function createProgress(opts: { label: string; total: number; initial: number; quiet: boolean; tty: boolean; intervalMs?: number }): Progress {
  const { label, total, initial } = opts;
  const t0 = Date.now();
  const rate = (done: number) => (done - initial) / Math.max(1e-3, (Date.now() - t0) / 1000);
  if (opts.quiet) return { update() {}, stop() {} };
  if (opts.tty) {
    const bar = new cliProgress.SingleBar({
      format: `${label} {bar} {percentage}% | {value}/{total} points | {rate} points/s | ETA {eta_formatted}`,
      stream: process.stderr,
      hideCursor: true,
      etaBuffer: 50,
    }, cliProgress.Presets.shades_classic);
    bar.start(total, initial, { rate: 0 });
    return {
      update(done) { bar.update(done, { rate: Math.round(rate(done)) }); },
      stop() { bar.stop(); },
    };
  }
  const every = opts.intervalMs ?? 5000;
  let last = Date.now();
  return {
    update(done) {
      const now = Date.now();
      if (now - last < every) return;
      last = now;
      const r = rate(done);
      const pct = total === 0 ? 100 : (100 * done) / total;
      process.stderr.write(`${label}: ${done}/${total} points (${pct.toFixed(1)}%), ${Math.round(r)} points/s, ETA ${formatDuration((total - done) / r)}\n`);
    },
    stop() {},
  };
}
