/**
 * How parallelism degrees map onto the ICI torus, as NeuSim does it
 * (run_sim_lib.map_parallelism_to_ici_axes_llm[_moe], frontend/util.py). Pure.
 */
import { ConfigError, type MoeConfig } from "./config.js";
import { primeFactors } from "./numeric.js";

/**
 * Split a degree over n axes, as square as possible: smallest primes first,
 * remaining factors multiplied into the smallest axis.
 */
export function splitParallelismDegree(degree: number, nAxes: number): readonly number[] {
  // Memoized: every point of a sweep asks for the same few splits. Degrees are at most 2^20.
  const key = degree * 8 + nAxes;
  let axes = splits.get(key);
  if (axes === undefined) splits.set(key, (axes = splitDegree(degree, nAxes))); // shared: readonly by type (a frozen array would slow spreads)
  return axes;
}
const splits = new Map<number, readonly number[]>();

function splitDegree(degree: number, nAxes: number): number[] {
  if (nAxes === 1) return [degree];
  const fs = primeFactors(degree);
  const axes = fs.slice(0, nAxes);
  for (const f of fs.slice(nAxes)) {
    let minI = 0;
    for (let i = 1; i < axes.length; i++) if (axes[i] < axes[minI]) minI = i;
    axes[minI] *= f;
  }
  return axes;
}

/** Bisection bandwidth per chip of the pod's torus (GB/s). */
export function bisectionBwPerChipGBps(numChips: number, iciBwGBps: number, topology: string): number {
  if (numChips === lastBisection.numChips && iciBwGBps === lastBisection.iciBwGBps && topology === lastBisection.topology) return lastBisection.GBps;
  const GBps = bisectionOf(numChips, iciBwGBps, topology);
  lastBisection = { numChips, iciBwGBps, topology, GBps };
  return GBps;
}
/** The last answer: a sweep asks for one pod's bisection at every point. */
let lastBisection = { numChips: 0, iciBwGBps: 0, topology: "", GBps: 0 };

function bisectionOf(numChips: number, iciBwGBps: number, topology: string): number {
  const dims = splitParallelismDegree(numChips, topology === "TORUS_2D" ? 2 : 3);
  if (dims.length === 1) return iciBwGBps / numChips;
  const sorted = [...dims].sort((a, b) => a - b).slice(0, -1);
  const surface = sorted.reduce((p, v) => p * v, 1);
  return ((iciBwGBps * surface) / numChips) * (dims.length - 1);
}

export interface Parallelism {
  /** Requests per chip: the pipeline microbatch ceil(batch / pp), split over dp. */
  localBatch: number;
  layersPerStage: number;
  tensorParallelAxes: readonly number[];
  expertTensorParallelism: number;
  expertTensorParallelAxes: readonly number[];
  /** 0 when EP = 1. */
  bisectionGBps: number;
}

export function deriveParallelism(c: MoeConfig): Parallelism {
  const dp = c.data_parallelism_degree, tp = c.tensor_parallelism_degree;
  const pp = c.pipeline_parallelism_degree, ep = c.expert_parallelism_degree;
  const nPhysical = c.ICI_topology === "TORUS_2D" ? 2 : 3;
  const enabled = (dp > 1 ? 1 : 0) + (tp > 1 ? 1 : 0) + (pp > 1 ? 1 : 0);
  let dpAxes = dp > 1 ? 1 : 0, tpAxes = tp > 1 ? 1 : 0;
  if (enabled === 1) {
    tpAxes = tp > 1 ? nPhysical : 0;
    dpAxes = dp > 1 ? nPhysical : 0;
  } else if (enabled === 2) {
    if (tp > 1) tpAxes = nPhysical - 1;
    else dpAxes = nPhysical - 1;
  }
  const eAxes = dpAxes + tpAxes;
  const dpTp = dp * tp;
  let epAxes = 0;
  if (ep > 1 && ep <= dpTp) {
    if (eAxes === 1 && ep !== dpTp) {
      throw new ConfigError("expert_parallelism_degree", ep,
        `must be 1 or dp*tp = ${dpTp} when data and tensor parallelism share one ICI axis`);
    }
    epAxes = ep < dpTp ? 1 : eAxes;
  }
  // Beyond NeuSim: EP > dp*tp spreads experts over chips outside the dp x tp group (no expert TP).
  const etp = ep <= dpTp ? dpTp / ep : 1;
  const etpAxesCount = eAxes - epAxes;
  return {
    localBatch: Math.ceil(Math.ceil(c.global_batch_size / pp) / dp),
    layersPerStage: Math.ceil(c.num_layers / pp),
    tensorParallelAxes: tpAxes > 0 ? splitParallelismDegree(tp, tpAxes) : [],
    expertTensorParallelism: etp,
    expertTensorParallelAxes: etp > 1 && etpAxesCount > 0 ? splitParallelismDegree(etp, etpAxesCount) : [],
    bisectionGBps: ep > 1 ? bisectionBwPerChipGBps(c.num_chips, c.ici_bw_GBps, c.ICI_topology) : 0,
  };
}
