/**
 * NeuSim's per-operator energy model with DVFS off
 * (power_analysis_lib.analyze_operator_energy), exactly: component times
 * rescaled to the model's 1.7 GHz, voltage-regulator efficiency by activity,
 * dynamic energy by utilisation, static energy per component under the
 * power-gating setting (power-gating.ts; ungated: the operator's whole time),
 * NeuSim's double count of per-SA / per-VU power included. Every operation in
 * NeuSim's order, so the doubles match. Energies are per single execution. Pure.
 */
import { chipPower, type ChipPower } from "./chip-power.js";
import type { Op } from "../ops/op.js";
import type { OpTiming } from "../timing/backend.js";
import type { MoeConfig } from "../config.js";
import { mxuStats, type MxuStats } from "./op-stats.js";
import { hbmStatic, iciStatic, PG_SETTINGS, saStatic, vmemStatic, vuStatic, type GatedStatic, type GatingChip, type GatingOp, type PgSetting } from "./power-gating.js";

/** The frequency the energy model assumes component times were measured at (DVFS "None"). */
const F_DVFS = 1.7;

/** Regulator efficiency (%) by activity: the first row whose activity is >= a. */
const EFFICIENCY: readonly [number, number][] = [
  [0.0, 67.0], [0.1, 85.0], [0.2, 86.0], [0.3, 86.5], [0.4, 87.0], [0.5, 87.5], [0.6, 88.0], [0.7, 88.5], [0.8, 89.0], [0.9, 89.5], [1.0, 90.0],
];

function efficiency(a: number): number {
  for (const [row, eta] of EFFICIENCY) if (row >= a) return eta;
  return 90.0;
}

export interface OpEnergyInput {
  executionNs: number;
  mxuNs: number;
  vpuNs: number;
  vmemNs: number;
  iciNs: number;
  memoryNs: number;
  flops: number;
  /** HBM bytes (power gating of HBM only). */
  bytes: number;
  /** NeuSim's CSV OpType: MXU for einsums, VPU for vector ops, ICINoCompute for collectives. */
  csvOpType: "MXU" | "VPU" | "ICINoCompute";
  /** Einsum-like operators' tile-search stats (power gating of the SA and VMEM only). */
  mxu?: MxuStats;
}

export interface ChipNumbers extends GatingChip {
  num_sa: number;
  num_vu: number;
  ici_bw_GBps: number;
}

export const ENERGY_COMPONENTS = ["sa", "vu", "sram", "hbm", "ici", "other"] as const;
export type EnergyComponent = (typeof ENERGY_COMPONENTS)[number];

/** The energy model's component times (ns), after the rescale and any wake-up overheads. */
export interface ComponentTimes { sa: number; vu: number; vmem: number; hbm: number; ici: number }

export interface OpEnergy {
  /** The energy model's execution time (ns): the rescaled component times' maximum, lengthened by wake-up overheads. */
  executionNs: number;
  /** The same without power gating (the rescaled maximum): the PG slowdown's denominator. */
  ungatedExecutionNs: number;
  componentNs: ComponentTimes;
  static_J: Record<EnergyComponent, number>;
  dynamic_J: Record<EnergyComponent, number>;
  static_energy_J: number;
  dynamic_energy_J: number;
  total_energy_J: number;
  /** Set-power-mode instructions of software-managed gating (Full). */
  num_setpm_vu: number;
  num_setpm_sram: number;
  /** static_J and dynamic_J in ENERGY_COMPONENTS order, for the phase sums' inner loop. */
  staticByIndex: Float64Array;
  dynamicByIndex: Float64Array;
  /** total_energy_J over executionNs (W); -1 when the time is 0 (NeuSim's convention). */
  power_W: number;
}

/** NeuSim's flops_util, computed at simulation time from the chip's own clock. */
function flopsUtil(op: OpEnergyInput, c: ChipNumbers): number {
  const tflops = op.executionNs === 0 ? 0 : (op.flops * 1e9) / op.executionNs / 1e12;
  const peakSa = (c.num_sa * c.sa_dim ** 2 * 2 * c.freq_GHz * 1e9) / 1e12;
  const peakVu = (c.num_vu * 1024 * c.freq_GHz * 1e9) / 1e12;
  return op.csvOpType === "MXU" ? tflops / (peakSa + peakVu) : tflops / peakVu;
}

export function opEnergy(op: OpEnergyInput, c: ChipNumbers, p: ChipPower, pg: PgSetting): OpEnergy {
  const f = c.freq_GHz, nsa = c.num_sa, nvu = c.num_vu, d = c.sa_dim;
  const scale = (t: number) => (t <= 0 ? t : Math.ceil((t * f) / F_DVFS));
  const Tsa = scale(op.mxuNs), Tvu = scale(op.vpuNs), Tvm = scale(op.vmemNs), Tici = scale(op.iciNs), Tmem = scale(op.memoryNs);
  const T0 = op.executionNs;
  const fu = flopsUtil(op, c);
  const eta = {
    sa: efficiency(Math.min(1, fu)), vu: efficiency(Math.min(1, fu)), sram: efficiency(Math.min(1, Tvm / T0)),
    hbm: efficiency(Math.min(1, Tmem / T0)), ici: efficiency(Math.min(1, Tici / T0)),
  };
  const T = Math.max(Tsa, Tvu, Tvm, Tici, Tmem);
  // The op type re-derived from the times (small einsums lowered to the VPU count as VPU).
  const tau = Tsa > 0 ? "MXU" : Tvu > 0 ? "VPU" : op.csvOpType;
  const Psa = 2 * d ** 2 * (F_DVFS * 1e9) * nsa;
  const Pvu = 1024 * (F_DVFS * 1e9) * nvu;
  const uSa = Tsa > 0 ? Math.min(((op.flops / Tsa) * 1e9) / Psa, 1.0) : 0;
  const uVu = tau === "MXU" ? Math.min(((op.flops / 8 / Tvu) * 1e9) / Pvu, 1.0) : Tvu > 0 ? Math.min(((op.flops / Tvu) * 1e9) / Pvu, 1.0) : 0;
  // Component powers (ChipConfig properties); NeuSim multiplies per-SA / per-VU totals by the count again.
  const Dsa = p.dynamic_power_W_per_SA * nsa, Dvu = p.dynamic_power_W_per_VU * nvu;
  const Dici = c.ici_bw_GBps * p.dynamic_power_ici_W_per_GBps, Dhbm = c.hbm_bw_GBps * p.dynamic_power_hbm_W_per_GBps;
  const SsaOp = p.static_power_W_per_sa * nsa * nsa, SvuOp = p.static_power_W_per_vu * nvu * nvu;
  const Shbm = p.static_power_hbm_mc_W + p.static_power_hbm_phy_W;
  // Dynamic energy from the busy times before any wake-up overhead.
  const dyn = {
    sa: ((Dsa * Tsa * nsa) / 1e9) * uSa,
    vu: ((Dvu * Tvu * nvu) / 1e9) * uVu,
    sram: (p.dynamic_power_vmem_W * Tvm) / 1e9,
    hbm: (Dhbm * Tmem) / 1e9,
    ici: (Dici * Tici) / 1e9,
    other: (p.dynamic_power_other_W * T) / 1e9,
  };
  const g: GatingOp = { T, tau, bytes: op.bytes, vmemDemandBytes: op.mxu?.vmemDemandBytes ?? 0, mxuOps: op.mxu?.mxuOps ?? 0 };
  const ungated = (S: number, busyNs: number): GatedStatic => ({ J: (S * T) / 1e9, busyNs });
  const sa = pg.sa ? saStatic(pg.sa, g, Tsa, SsaOp, uSa, c) : ungated(SsaOp, Tsa);
  const vu = pg.vu ? vuStatic(pg.vu, g, Tvu, SvuOp, uVu, c) : ungated(SvuOp, Tvu);
  const vm = pg.vmem ? vmemStatic(pg.vmem, g, Tvm, p.static_power_vmem_W, c) : ungated(p.static_power_vmem_W, Tvm);
  const ici = pg.ici ? iciStatic(pg.ici, g, Tici, p.static_power_ici_W, c) : ungated(p.static_power_ici_W, Tici);
  const hbm = pg.hbm ? hbmStatic(pg.hbm, g, Tmem, Shbm, c) : ungated(Shbm, Tmem);
  const st = { sa: sa.J, vu: vu.J, sram: vm.J, hbm: hbm.J, ici: ici.J, other: (p.static_power_other_W * T) / 1e9 };
  // Regulator losses on every component but "other".
  for (const k of ["sa", "vu", "sram", "hbm", "ici"] as const) {
    dyn[k] *= 100.0 / eta[k];
    st[k] *= 100.0 / eta[k];
  }
  // A wake-up overhead that outlasts the operator lengthens it (strictly longer only).
  let executionNs = T;
  for (const t of [sa.busyNs, vu.busyNs, vm.busyNs, hbm.busyNs, ici.busyNs]) if (t > executionNs) executionNs = t;
  const staticJ = st.sa + st.vu + st.sram + st.hbm + st.ici + st.other;
  const dynamicJ = dyn.sa + dyn.vu + dyn.sram + dyn.hbm + dyn.ici + dyn.other;
  return {
    executionNs, ungatedExecutionNs: T,
    componentNs: { sa: sa.busyNs, vu: vu.busyNs, vmem: vm.busyNs, hbm: hbm.busyNs, ici: ici.busyNs },
    static_J: st, dynamic_J: dyn, static_energy_J: staticJ, dynamic_energy_J: dynamicJ, total_energy_J: staticJ + dynamicJ,
    num_setpm_vu: vu.setpm ?? 0, num_setpm_sram: vm.setpm ?? 0,
    staticByIndex: Float64Array.from(ENERGY_COMPONENTS, (k) => st[k]), dynamicByIndex: Float64Array.from(ENERGY_COMPONENTS, (k) => dyn[k]),
    power_W: executionNs === 0 ? -1 : ((staticJ + dynamicJ) / executionNs) * 1e9,
  };
}

/** NeuSim's CSV OpType of one of our operators: einsums are MXU; ICI-class collectives ICINoCompute; the rest VPU. */
export function csvOpType(op: Op): OpEnergyInput["csvOpType"] {
  if (op.cost.kind === "einsum" || op.cost.kind === "flash") return "MXU";
  if (op.cost.kind === "collective") return op.cost.opClass === "ICI" ? "ICINoCompute" : "VPU";
  return "VPU";
}

/** An operator's energy per single execution, on the config's chip, under its power-gating setting. */
export function opEnergyOf(op: Op & { timing: OpTiming }, config: MoeConfig): OpEnergy {
  const t = op.timing;
  return opEnergy({
    executionNs: t.execution_time_ns, mxuNs: t.mxu_time_ns, vpuNs: t.vpu_time_ns, vmemNs: t.vmem_time_ns, iciNs: t.ici_time_ns,
    memoryNs: t.memory_time_ns, flops: op.flops, bytes: t.bytes_accessed, csvOpType: csvOpType(op), mxu: mxuStats(op.cost, config),
  }, config, chipPower(config.chip), PG_SETTINGS[config.power_gating_strategy]);
}
