/**
 * A phase's energy on one chip under the config's power-gating setting, as NeuSim's
 * energy_operator_analysis_main sums it: energy x count per operator, left to
 * right in NeuSim's row order, from 0. NeuSim lists K per-expert blocks where
 * the model has one hot block of count L x W; the hot block is summed as W
 * per-expert blocks in NeuSim's order, so the doubles match. Pure.
 */
import type { MoeConfig } from "../config.js";
import type { Op } from "../ops/op.js";
import type { OpTiming } from "../timing/backend.js";
import { ENERGY_COMPONENTS, opEnergyOf, type ComponentTimes, type EnergyComponent, type OpEnergy } from "./op-energy.js";

export interface PhaseEnergy {
  total_energy_J: number;
  static_energy_J: number;
  dynamic_energy_J: number;
  /** static + dynamic per component. */
  component_J: Record<EnergyComponent, number>;
  static_component_J: Record<EnergyComponent, number>;
  dynamic_component_J: Record<EnergyComponent, number>;
  /** The energy model's phase time (ns): sum of its per-op execution time x count. */
  exe_time_ns: number;
  /** exe_time_ns over the same without power gating (1 when nothing is gated). */
  slowdown: number;
  /** Per-component busy time x count (ns), with wake-up overheads. */
  component_ns: ComponentTimes;
  /** Set-power-mode instructions (software-managed gating). */
  num_setpm_vu: number;
  num_setpm_sram: number;
  avg_power_W: number;
  /** The largest per-op power (not weighted). */
  peak_power_W: number;
}

type TimedOp = Op & { timing: OpTiming };

/** Operators with their counts in NeuSim's row order: the hot block (block hot_experts, count L x W) as W blocks of count L. */
function neusimRows(ops: readonly TimedOp[], hotExperts: number): [TimedOp, number][] {
  const rows: [TimedOp, number][] = [];
  for (let i = 0; i < ops.length; i++) {
    if (ops[i].block !== "hot_experts" || hotExperts <= 1) {
      rows.push([ops[i], ops[i].count]);
      continue;
    }
    let j = i;
    while (j < ops.length && ops[j].block === "hot_experts") j++;
    for (let e = 0; e < hotExperts; e++) for (let k = i; k < j; k++) rows.push([ops[k], ops[k].count / hotExperts]);
    i = j - 1;
  }
  return rows;
}

export function phaseEnergy(ops: readonly TimedOp[], config: MoeConfig, hotExperts: number): PhaseEnergy {
  const zeros = () => Object.fromEntries(ENERGY_COMPONENTS.map((c) => [c, 0])) as Record<EnergyComponent, number>;
  const component = zeros(), staticC = zeros(), dynamicC = zeros();
  const componentNs: ComponentTimes = { sa: 0, vu: 0, vmem: 0, hbm: 0, ici: 0 };
  let total = 0, st = 0, dyn = 0, time = 0, ungatedTime = 0, peak = -Infinity, setpmVu = 0, setpmSram = 0;
  const cache = new Map<TimedOp, OpEnergy>();
  for (const [op, n] of neusimRows(ops, hotExperts)) {
    let e = cache.get(op);
    if (!e) cache.set(op, (e = opEnergyOf(op, config)));
    total += e.total_energy_J * n;
    st += e.static_energy_J * n;
    dyn += e.dynamic_energy_J * n;
    for (const c of ENERGY_COMPONENTS) {
      component[c] += (e.static_J[c] + e.dynamic_J[c]) * n;
      staticC[c] += e.static_J[c] * n;
      dynamicC[c] += e.dynamic_J[c] * n;
    }
    time += e.executionNs * n;
    ungatedTime += e.ungatedExecutionNs * n;
    for (const k of ["sa", "vu", "vmem", "hbm", "ici"] as const) componentNs[k] += e.componentNs[k] * n;
    setpmVu += e.num_setpm_vu * n;
    setpmSram += e.num_setpm_sram * n;
    const power = e.executionNs === 0 ? -1 : (e.total_energy_J / e.executionNs) * 1e9;
    if (power > peak) peak = power;
  }
  return {
    total_energy_J: total, static_energy_J: st, dynamic_energy_J: dyn, component_J: component,
    static_component_J: staticC, dynamic_component_J: dynamicC, exe_time_ns: time,
    slowdown: time / ungatedTime, component_ns: componentNs, num_setpm_vu: setpmVu, num_setpm_sram: setpmSram,
    avg_power_W: total / (time / 1e9), peak_power_W: peak,
  };
}
