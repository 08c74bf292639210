/**
 * A phase's energy on one chip under the config's power-gating setting, as NeuSim's
 * energy_operator_analysis_main sums it: energy x count per operator, left to
 * right in NeuSim's row order, from 0. NeuSim lists K per-expert blocks where
 * the model has one hot block of count L x W; the hot block is summed as W
 * per-expert blocks in NeuSim's order, so the doubles match. Pure.
 */
import type { MoeConfig } from "../config.js";
import { MOE_BLOCKS } from "../ops/op.js";
import type { TimedOp } from "../evaluate.js";
import { opEnergyOf, type ComponentTimes, type EnergyComponent, type OpEnergy } from "./op-energy.js";
import type { EnergyRecord } from "./energy-sink.js";

export interface PhaseEnergy {
  total_energy_J: number;
  static_energy_J: number;
  dynamic_energy_J: number;
  /** static + dynamic per component (undefined when not summed: no component column was asked for). */
  component_J: Record<EnergyComponent, number> | undefined;
  /** The rest is NeuSim's detail, summed only when asked (a sweep's energy columns do not need it). */
  detail?: PhaseEnergyDetail;
  /** The energy model's phase time (ns): sum of its per-op execution time x count. */
  exe_time_ns: number;
  /** exe_time_ns over the same without power gating (1 when nothing is gated). */
  slowdown: number;
  avg_power_W: number;
  /** The largest per-op power (not weighted). */
  peak_power_W: number;
}

export interface PhaseEnergyDetail {
  static_component_J: Record<EnergyComponent, number>;
  dynamic_component_J: Record<EnergyComponent, number>;
  /** Per-component busy time x count (ns), with wake-up overheads. */
  component_ns: ComponentTimes;
  /** Set-power-mode instructions (software-managed gating). */
  num_setpm_vu: number;
  num_setpm_sram: number;
}

/** Each operator's energy record, in order (an operator listed twice is costed once). */
export function energyRecordsOf(ops: readonly TimedOp[], config: MoeConfig): EnergyRecord[] {
  const cache = new Map<TimedOp, OpEnergy>();
  return ops.map((op) => {
    let energy = cache.get(op);
    if (!energy) cache.set(op, (energy = opEnergyOf(op, config)));
    return { block: op.block, count: op.count, energy };
  });
}

/** The phase energy of an evaluated operator list. */
export function phaseEnergy(ops: readonly TimedOp[], config: MoeConfig, hotExperts: number): PhaseEnergy {
  return phaseEnergyOf(energyRecordsOf(ops, config), hotExperts);
}

/** Accumulator slots: totals, then per component (static + dynamic, static, dynamic), busy times, setpm counts. */
const TOTAL = 0, STATIC = 1, DYNAMIC = 2, TIME = 3, UNGATED = 4, PEAK = 5, SETPM_VU = 6, SETPM_SRAM = 7;
const COMPONENT = 8, STATIC_C = 14, DYNAMIC_C = 20, BUSY = 26, SLOTS = 31;

/**
 * Add one row (energy x count), in NeuSim's order of operations. `components`: the per-component
 * sums too; `detail` (which implies them): NeuSim's detail as well. Each sum is its own running
 * total, so leaving one out changes no other.
 */
function addRow(acc: Float64Array, e: OpEnergy, n: number, components: boolean, detail: boolean): void {
  acc[TOTAL] += e.total_energy_J * n;
  acc[STATIC] += e.static_energy_J * n;
  acc[DYNAMIC] += e.dynamic_energy_J * n;
  const sArr = e.staticByIndex, dArr = e.dynamicByIndex;
  if (components) for (let i = 0; i < 6; i++) acc[COMPONENT + i] += (sArr[i] + dArr[i]) * n;
  acc[TIME] += e.executionNs * n;
  acc[UNGATED] += e.ungatedExecutionNs * n;
  if (e.power_W > acc[PEAK]) acc[PEAK] = e.power_W;
  if (!detail) return;
  for (let i = 0; i < 6; i++) {
    acc[STATIC_C + i] += sArr[i] * n;
    acc[DYNAMIC_C + i] += dArr[i] * n;
  }
  const b = e.componentNs;
  acc[BUSY] += b.sa * n; acc[BUSY + 1] += b.vu * n; acc[BUSY + 2] += b.vmem * n; acc[BUSY + 3] += b.hbm * n; acc[BUSY + 4] += b.ici * n;
  acc[SETPM_VU] += e.num_setpm_vu * n;
  acc[SETPM_SRAM] += e.num_setpm_sram * n;
}

const byName = (a: Float64Array, at: number): Record<EnergyComponent, number> =>
  ({ sa: a[at], vu: a[at + 1], sram: a[at + 2], hbm: a[at + 3], ici: a[at + 4], other: a[at + 5] });

/**
 * A phase's rows summed as they come, in NeuSim's order: a run of hot-block
 * records (count L x W) is added as W per-expert blocks of count L when it ends.
 * One summer serves the operator list (phaseEnergyOf) and the sweep's EnergySink.
 */
export class PhaseEnergySum {
  private readonly acc = new Float64Array(SLOTS);
  /** The current run of hot-block records (when the phase has more than one hot expert). */
  private hot: EnergyRecord[] | undefined;
  private hotExperts = 1;
  private detail = true;
  private components = true;

  /**
   * `detail`: also sum NeuSim's detail (the static/dynamic split per component, busy times, setpm counts).
   * `components`: the static + dynamic energy per component (always with detail).
   */
  constructor(hotExperts: number, detail = true, components = true) {
    this.reset(hotExperts, detail, components);
  }

  /** Start over for another phase (a sweep reuses its summers rather than allocate two per point). */
  reset(hotExperts: number, detail: boolean, components: boolean): this {
    this.hotExperts = hotExperts;
    this.detail = detail;
    this.components = components || detail;
    this.acc.fill(0);
    this.acc[PEAK] = -Infinity;
    this.hot = hotExperts > 1 ? (this.hot ?? []) : undefined;
    if (this.hot) this.hot.length = 0;
    return this;
  }

  add(r: EnergyRecord): void {
    const hot = this.hot;
    if (hot) {
      if (r.block === "hot_experts") {
        hot.push(r);
        return;
      }
      if (hot.length > 0) this.flushHot(hot);
    }
    addRow(this.acc, r.energy, r.count, this.components, this.detail);
  }

  private flushHot(hot: EnergyRecord[]): void {
    const W = this.hotExperts;
    for (let e = 0; e < W; e++) for (const r of hot) addRow(this.acc, r.energy, r.count / W, this.components, this.detail);
    hot.length = 0;
  }

  result(): PhaseEnergy {
    if (this.hot && this.hot.length > 0) this.flushHot(this.hot);
    const acc = this.acc, total = acc[TOTAL], time = acc[TIME];
    return {
      total_energy_J: total, static_energy_J: acc[STATIC], dynamic_energy_J: acc[DYNAMIC], component_J: this.components ? byName(acc, COMPONENT) : undefined,
      exe_time_ns: time, slowdown: time / acc[UNGATED], avg_power_W: total / (time / 1e9), peak_power_W: acc[PEAK],
      detail: this.detail ? {
        static_component_J: byName(acc, STATIC_C), dynamic_component_J: byName(acc, DYNAMIC_C),
        component_ns: { sa: acc[BUSY], vu: acc[BUSY + 1], vmem: acc[BUSY + 2], hbm: acc[BUSY + 3], ici: acc[BUSY + 4] },
        num_setpm_vu: acc[SETPM_VU], num_setpm_sram: acc[SETPM_SRAM],
      } : undefined,
    };
  }
}

/** Records in emission order, summed as NeuSim sums its rows. `hotExperts`: the hot block (count L x W) is W per-expert blocks of count L. */
export function phaseEnergyOf(records: readonly EnergyRecord[], hotExperts: number): PhaseEnergy {
  const sum = new PhaseEnergySum(hotExperts);
  for (const r of records) sum.add(r);
  return sum.result();
}

const MOE = new Set<string>(MOE_BLOCKS);
export const isMoeBlock = (b: string): boolean => MOE.has(b);

/** The same over the MoE-layer operators only (the EP group's share). */
export function moePhaseEnergyOf(records: readonly EnergyRecord[], hotExperts: number): PhaseEnergy {
  return phaseEnergyOf(records.filter((r) => isMoeBlock(r.block)), hotExperts);
}
