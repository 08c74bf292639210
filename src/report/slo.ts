/**
 * NeuSim's SLO analysis (slo_analysis_main: SLO.analyze, QRH.get_slo_stat), over
 * the points of one sweep group, exactly: the reference latency, then per SLO
 * scale and chip the fewest chips that meet it, the best throughput per chip,
 * the least energy per token and the most cost-efficient configuration. Pure:
 * candidates in, picks out; the CLI reads them from results.csv.
 */

/** One design point as the SLO analysis sees it. */
export interface SloCandidate {
  chip: string;
  num_chips: number;
  global_batch_size: number;
  out_of_memory: boolean;
  /** The phase's latency metric: TTFT in s (prefill) or TPOT in ms (decode), as NeuSim reports them. */
  latency: number;
  /** The system's tokens/s (NeuSim run_sim). */
  throughput_tokens_per_sec: number;
  /** 1 / NeuSim's avg_power_efficiency_tkn_per_joule. */
  energy_per_token_J: number;
  /** The system's average power (NeuSim carbon avg_power_W). */
  system_avg_power_W: number;
  hbm_size_GB: number;
  config_key: string;
}

/** $ per chip-hour by chip (QRH.VERSION_TO_COST). */
export const CHIP_PRICE_PER_HOUR: Readonly<Record<string, number>> = {
  tpuv2: 1.2375, tpuv3: 2, tpuv4: 3.22, tpuv5p: 4.2, tpuv6p: 9.45, tpuv5e: 1.2, tpuv6e: 2.7,
};

/** NeuSim's reference configuration: the fewest chips among fitting v5p points at batch 1, then the lowest latency. */
export const NEUSIM_REFERENCE = { chip: "tpuv5p", global_batch_size: 1 } as const;

/** The SLO reference latency, or undefined when no candidate qualifies (NeuSim raises there). */
export function sloReferenceLatency(cands: readonly SloCandidate[], ref: { chip: string; global_batch_size: number } = NEUSIM_REFERENCE): number | undefined {
  const pool = cands.filter((c) => c.chip === ref.chip && c.global_batch_size === ref.global_batch_size && !c.out_of_memory);
  if (pool.length === 0) return undefined;
  const fewest = Math.min(...pool.map((c) => c.num_chips));
  return Math.min(...pool.filter((c) => c.num_chips === fewest).map((c) => c.latency));
}

export interface SloPick {
  ref_latency: number;
  min_num_chips: number;
  /** The rest are undefined when no point meets the SLO (NeuSim then reports the lowest latency that fits, and 0 throughput). */
  latency: number;
  throughput_tokens_per_sec: number;
  min_chip?: SloCandidate;
  optimal?: SloCandidate;
  optimal_energy_eff?: SloCandidate;
  optimal_cost?: SloCandidate;
  /** Tokens/s per chip per $/s (NeuSim divides throughput by num_chips twice). */
  optimal_cost_good_per_dollar?: number;
}

const perChip = (c: SloCandidate) => c.throughput_tokens_per_sec / c.num_chips;

/** argmax / argmin keeping the first of equals (Python's max/min over the listing order). */
function best<T>(xs: readonly T[], key: (x: T) => number, better: (a: number, b: number) => boolean): T | undefined {
  let top: T | undefined, topKey = 0;
  for (const x of xs) {
    const k = key(x);
    if (top === undefined || better(k, topKey)) { top = x; topKey = k; }
  }
  return top;
}
const more = (a: number, b: number) => a > b;
const less = (a: number, b: number) => a < b;

/**
 * Picks on one chip at SLO `refLatency x scale`. `pricePerHour` undefined: no cost pick
 * (a chip without a price). Candidates are in the sweep's row order (ties keep the first).
 */
export function sloPick(cands: readonly SloCandidate[], chip: string, refLatency: number, scale: number, pricePerHour: number | undefined): SloPick {
  const slo = refLatency * 1 * scale; // NeuSim: reference x default_slo_multiple (1) x scale
  const fits = cands.filter((c) => c.chip === chip && !c.out_of_memory);
  const meets = fits.filter((c) => c.latency <= slo);
  if (meets.length === 0) {
    return { ref_latency: slo, min_num_chips: 0, latency: fits.length ? Math.min(...fits.map((c) => c.latency)) : 0, throughput_tokens_per_sec: 0 };
  }
  const fewest = Math.min(...meets.map((c) => c.num_chips));
  const minChip = best(meets.filter((c) => c.num_chips === fewest), perChip, more)!;
  // The cost pick ignores the SLO (NeuSim's quirk): every fitting point competes.
  const cost = pricePerHour === undefined ? undefined : (c: SloCandidate) => perChip(c) / ((pricePerHour / 3600) * c.num_chips);
  const optimalCost = cost && best(fits, cost, more);
  return {
    ref_latency: slo, min_num_chips: fewest, latency: minChip.latency, throughput_tokens_per_sec: minChip.throughput_tokens_per_sec,
    min_chip: minChip,
    optimal: best(meets, perChip, more),
    optimal_energy_eff: best(meets, (c) => c.energy_per_token_J, less),
    optimal_cost: optimalCost,
    optimal_cost_good_per_dollar: optimalCost && cost!(optimalCost),
  };
}

/** NeuSim's output columns of one pick, named for the phase's metric (TTFT_sec or TPOT_ms_request). */
export function sloPickColumns(p: SloPick, metric: string): Record<string, number | string | undefined> {
  const o = p.optimal, e = p.optimal_energy_eff, c = p.optimal_cost;
  return {
    min_num_chips: p.min_num_chips,
    optimal_num_chips: o?.num_chips,
    optimal_energy_eff_num_chips: e?.num_chips,
    optimal_cost_num_chips: c?.num_chips,
    optimal_cost_global_batch_size: c?.global_batch_size,
    [`ref_${metric}`]: p.ref_latency,
    [metric]: p.latency,
    [`optimal_${metric}`]: o?.latency,
    [`optimal_energy_eff_${metric}`]: e?.latency,
    [`optimal_cost_${metric}`]: c?.latency,
    throughput_tokens_per_sec: p.throughput_tokens_per_sec,
    optimal_throughput_tokens_per_sec: o?.throughput_tokens_per_sec,
    optimal_energy_eff_joule_per_good: e?.energy_per_token_J,
    throughput_per_chip: p.min_chip && perChip(p.min_chip),
    optimal_throughput_per_chip: o && perChip(o),
    optimal_energy_eff_per_chip: e && e.energy_per_token_J / e.num_chips,
    optimal_cost_good_per_dollar: p.optimal_cost_good_per_dollar,
    optimal_cost_total_memory_capacity_GB: c && c.num_chips * c.hbm_size_GB,
    optimal_energy_eff_watt: e?.system_avg_power_W,
    optimal_energy_eff_watt_per_chip: e && e.system_avg_power_W / e.num_chips,
    min_chip_config_key: p.min_chip?.config_key,
    optimal_config_key: o?.config_key,
    optimal_energy_eff_config_key: e?.config_key,
    optimal_cost_config_key: c?.config_key,
  };
}
