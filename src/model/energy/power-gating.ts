/**
 * NeuSim's power-gating settings (power_analysis_lib.get_power_gating_config)
 * and the static energy of one operator's component under them
 * (analyze_{sa,vu,vmem,ici,hbm}_static_energy, DVFS off), operation for
 * operation, so the doubles match. Wake-up delays are in chip cycles; gating
 * may lengthen a component's busy time (the PG slowdown). Pure.
 */

export const PG_STRATEGIES = ["NoPG", "Base", "HW", "Full", "Ideal", "ideal_inst_component", "ideal_op_component", "disabled"] as const;
export type PgStrategy = (typeof PG_STRATEGIES)[number];

type Temporal = "instruction" | "operator";
type Policy = "HW" | "SW";

interface SaGating { temporal: Temporal; spatial: "component" | "PE"; low: number; peDelay: number; saDelay: number }
interface VuGating { policy: Policy; temporal: Temporal; spatial: "component" | "ALU"; low: number; delay: number }
interface VmemGating { policy: Policy; granuleBytes: number; low: number; delay: number; drowsyPeriod: number }
interface IciGating { temporal: Temporal; low: number; delay: number }
interface HbmGating { policy: Policy; low: number; delay: number }

/** Which components a setting gates, and how; an absent component is never gated. */
export interface PgSetting {
  sa?: SaGating;
  vu?: VuGating;
  vmem?: VmemGating;
  ici?: IciGating;
  hbm?: HbmGating;
}

const REGISTER_BYTES = 4096;
const PARTITION_BYTES = 2 * 1024 * 1024;
const DROWSY_CYCLES = 2000;

const BASE: PgSetting = {
  sa: { temporal: "instruction", spatial: "component", low: 0.05, peDelay: 1, saDelay: 10 },
  vu: { policy: "HW", temporal: "instruction", spatial: "component", low: 0.03, delay: 2 },
  vmem: { policy: "HW", granuleBytes: REGISTER_BYTES, low: 0.25, delay: 4, drowsyPeriod: DROWSY_CYCLES },
  ici: { temporal: "instruction", low: 0.03, delay: 60 },
  hbm: { policy: "HW", low: 0.1, delay: 60 },
};
const HW: PgSetting = { ...BASE, sa: { temporal: "instruction", spatial: "PE", low: 0.03, peDelay: 1, saDelay: 10 } };

export const PG_SETTINGS: Readonly<Record<PgStrategy, PgSetting>> = {
  NoPG: {},
  disabled: {},
  Base: BASE,
  HW,
  Full: {
    ...HW,
    vu: { policy: "SW", temporal: "instruction", spatial: "component", low: 0.03, delay: 2 },
    vmem: { policy: "SW", granuleBytes: REGISTER_BYTES, low: 0.0002, delay: 10, drowsyPeriod: DROWSY_CYCLES },
    hbm: { policy: "SW", low: 0.1, delay: 60 },
  },
  Ideal: {
    sa: { temporal: "instruction", spatial: "PE", low: 0, peDelay: 0, saDelay: 0 },
    vu: { policy: "HW", temporal: "instruction", spatial: "ALU", low: 0, delay: 0 },
    vmem: { policy: "HW", granuleBytes: REGISTER_BYTES, low: 0, delay: 0, drowsyPeriod: DROWSY_CYCLES },
    ici: { temporal: "instruction", low: 0, delay: 0 },
    // HBM keeps 10 % in its gated state (refresh), also in the ideal setting.
    hbm: { policy: "SW", low: 0.1, delay: 0 },
  },
  ideal_inst_component: {
    sa: { temporal: "instruction", spatial: "component", low: 0, peDelay: 1, saDelay: 10 },
    vu: { policy: "HW", temporal: "instruction", spatial: "component", low: 0, delay: 2 },
    vmem: { policy: "HW", granuleBytes: PARTITION_BYTES, low: 0, delay: 10, drowsyPeriod: DROWSY_CYCLES },
    ici: { temporal: "instruction", low: 0, delay: 10 },
  },
  ideal_op_component: {
    sa: { temporal: "operator", spatial: "component", low: 0, peDelay: 1, saDelay: 10 },
    vu: { policy: "HW", temporal: "operator", spatial: "component", low: 0, delay: 2 },
    vmem: { policy: "HW", granuleBytes: PARTITION_BYTES, low: 0, delay: 10, drowsyPeriod: DROWSY_CYCLES },
    ici: { temporal: "operator", low: 0, delay: 10 },
  },
};

/** What the static-energy functions read of one operator, after the DVFS-None rescale. */
export interface GatingOp {
  /** The energy model's execution time (ns); gating never changes it, only the component times. */
  T: number;
  /** Re-derived op type: MXU if it used the systolic arrays, VPU if the vector units, else its CSV type. */
  tau: string;
  /** HBM bytes. */
  bytes: number;
  /** max_vmem_demand_bytes and num_mxu_ops (einsum-like operators only). */
  vmemDemandBytes: number;
  mxuOps: number;
}

export interface GatingChip {
  freq_GHz: number;
  sa_dim: number;
  vmem_size_MB: number;
  hbm_bw_GBps: number;
  hbm_latency_ns: number;
}

/** A static energy (J, before regulator losses) and the component's busy time after wake-up overheads (ns). */
export interface GatedStatic { J: number; busyNs: number; setpm?: number }

/** Cycles at the chip clock to ns (NeuSim's cycle_to_ns, also when DVFS pins another clock). */
const cyc = (cycles: number, c: GatingChip) => cycles / c.freq_GHz;

/** SA: `S` is the op model's static power (NeuSim's double count included), `u` the SA FLOP utilisation. */
export function saStatic(g: SaGating, op: GatingOp, Tsa: number, S: number, u: number, c: GatingChip): GatedStatic {
  const T = op.T;
  let w = 0;
  if (Tsa > 0) {
    w = Math.ceil((T - 1) / (Tsa / c.sa_dim));
    if (w === 0) return { J: (S * T) / 1e9, busyNs: Tsa };
  }
  const pg = S * g.low;
  if (Tsa > 0 && g.temporal === "instruction") {
    if (g.spatial === "PE") Tsa += Math.min(Math.ceil((Tsa / c.sa_dim) * cyc(g.peDelay, c)), Math.ceil(op.mxuOps * cyc(g.peDelay, c)));
    else if (w > 4 * cyc(g.saDelay, c)) Tsa += Math.ceil(Math.ceil(cyc(g.saDelay, c)) * (Tsa / c.sa_dim));
  }
  const Tx = Math.max(T, Tsa);
  if (g.temporal === "operator") {
    return { J: g.spatial === "component" ? (op.tau === "MXU" ? (S * Tx) / 1e9 : 0) : ((S * Tx) / 1e9) * u, busyNs: Tsa };
  }
  if (g.spatial === "PE") return { J: (((pg * Tsa) / 1e9) * (1 - u) + (pg * (Tx - Tsa)) / 1e9) + ((S * Tsa) / 1e9) * u, busyNs: Tsa };
  // Too short an idle gap to gate: the array stays on for the whole operator.
  if (Tsa > 0 && w < 2 * cyc(g.saDelay, c)) return { J: 0 + (S * Tx) / 1e9, busyNs: Tsa };
  return { J: (pg * (Tx - Tsa)) / 1e9 + (S * Tsa) / 1e9, busyNs: Tsa };
}

/** VU: `u` the VU FLOP utilisation. Software-managed gating counts its set-power-mode instructions. */
export function vuStatic(g: VuGating, op: GatingOp, Tvu: number, S: number, u: number, c: GatingChip): GatedStatic {
  const T = op.T;
  let w = 0;
  if (Tvu > 0) {
    w = Math.ceil((T - 1) / Tvu);
    if (w === 0) return { J: (S * T) / 1e9, busyNs: Tvu };
  }
  const pg = S * g.low;
  // One full wake-up delay per ns of VU time (NeuSim's quirk: x3 on v5p at 2 cycles).
  if (g.temporal === "instruction" && g.policy === "HW" && w > 4 * cyc(g.delay, c)) Tvu += Math.ceil(cyc(g.delay, c)) * Tvu;
  const Tx = Math.max(T, Tvu);
  if (g.temporal === "operator") {
    const on = g.spatial === "component" ? (Tvu > 0 ? (S * Tx) / 1e9 : 0) : ((S * Tx) / 1e9) * u;
    return { J: on, busyNs: Tvu };
  }
  if (g.spatial === "ALU") return { J: (((pg * Tvu) / 1e9) * (1 - u) + (pg * (Tx - Tvu)) / 1e9) + ((S * Tvu) / 1e9) * u, busyNs: Tvu };
  let pgE = (pg * (Tx - Tvu)) / 1e9, stE = (S * Tvu) / 1e9;
  if (g.policy === "HW" && w < 2 * cyc(g.delay, c)) {
    pgE = 0;
    stE = (S * Tx) / 1e9;
  }
  const setpm = g.policy === "SW" ? (Tx === Tvu ? 0 : Tvu === 0 ? 1 : Math.min(roundHalfEven(Tx / w), Math.floor((Tx - Tvu) / 32))) : 0;
  return { J: pgE + stE, busyNs: Tvu, setpm };
}

/** VMEM: the gated share is the capacity the operator does not use, rounded up to the gating granule. */
export function vmemStatic(g: VmemGating, op: GatingOp, Tvm: number, S: number, c: GatingChip): GatedStatic {
  const V = c.vmem_size_MB * 1024 * 1024;
  // Vector operators are assumed to use 2 MB per core.
  let used = op.tau === "MXU" ? Math.min(op.vmemDemandBytes / V, 1.0) : 4 / c.vmem_size_MB;
  used = (Math.ceil((used * V) / g.granuleBytes) * g.granuleBytes) / V;
  let Te = op.T;
  // Hardware drowsy mode wakes every partition once per period (local to the energy, not the time).
  if (g.policy === "HW") Te += Math.ceil((op.T / cyc(g.drowsyPeriod, c)) * cyc(g.delay, c));
  const pg = S * g.low;
  return { J: (((pg * Tvm) / 1e9) * (1 - used) + (pg * (Te - Tvm)) / 1e9) + ((S * Tvm) / 1e9) * used, busyNs: Tvm, setpm: g.policy === "SW" && g.granuleBytes === REGISTER_BYTES ? 1 : 0 };
}

export function iciStatic(g: IciGating, op: GatingOp, Tici: number, S: number, c: GatingChip): GatedStatic {
  if (Tici > 0) Tici += Math.ceil(2 * cyc(g.delay, c));
  const Tx = Math.max(op.T, Tici);
  const pg = S * g.low;
  if (g.temporal === "operator") return { J: Tici > 0 ? (S * Tx) / 1e9 : (pg * Tx) / 1e9, busyNs: Tici };
  return { J: (pg * (Tx - Tici)) / 1e9 + (S * Tici) / 1e9, busyNs: Tici };
}

/** HBM: gated between DMA bursts when the idle gap beats the break-even time (hardware policy: 4x it). */
export function hbmStatic(g: HbmGating, op: GatingOp, Tmem: number, S: number, c: GatingChip): GatedStatic {
  const T = op.T;
  if (T === 0) throw new Error("HBM power gating of an operator with no execution time (NeuSim divides by it)");
  // Active burst: the whole transfer, or one 4 MiB DMA at full bandwidth.
  const A = op.bytes < 4 * 1024 * 1024 ? Tmem : ((4 * 1024 * 1024) / (c.hbm_bw_GBps * 1024 * 1024 * 1024)) * 1e9;
  if (A === 0) throw new Error("HBM power gating of an operator with no memory time (NeuSim divides by it)");
  const k = Math.ceil(Tmem / A);
  const idle = Math.ceil(T / k - A);
  const breakEven = c.hbm_latency_ns * 2 + Math.ceil(cyc(g.delay, c)) * 4;
  const pg = S * g.low;
  const gated = () => (pg * (T - Tmem)) / 1e9 + (Tmem / 1e9) * S;
  if (g.policy === "SW") return { J: idle >= breakEven ? gated() : (S * T) / 1e9, busyNs: Tmem };
  if (idle >= 4 * breakEven) return { J: gated(), busyNs: Tmem + Math.ceil(cyc(g.delay, c) * k) };
  return { J: (S * T) / 1e9, busyNs: Tmem };
}

/** Python's round(): halves to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
