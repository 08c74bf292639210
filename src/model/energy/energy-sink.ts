/**
 * The sweep's energy consumer of the operator graph: times the phase like
 * BlockTimer (it wraps one) and adds each operator's energy per single
 * execution, with its block and count, to the phase sums in emission order, the
 * order NeuSim's rows follow. A cached group replays its operators' records
 * without building or costing them again, so an energy point costs about a
 * time-only point plus the sums; the records are the ones evaluate()'s operator
 * list gives, summed by the same PhaseEnergySum, so the sums are the same doubles.
 */
import { binaryOp, einsumOp, unaryOp, type OpContext } from "../ops/builders.js";
import type { Block, DType, Op } from "../ops/op.js";
import type { OpSink } from "../ops/sink.js";
import type { MoeConfig } from "../config.js";
import type { TimedOp } from "../evaluate.js";
import { BlockTimer } from "../timing/block-timer.js";
import type { TimingBackend } from "../timing/backend.js";
import { opEnergyOf, type OpEnergy } from "./op-energy.js";
import { isMoeBlock, PhaseEnergySum } from "./phase-energy.js";

/** One operator's energy per execution, where it belongs and how often it runs. */
export interface EnergyRecord {
  block: Block;
  count: number;
  energy: OpEnergy;
}

/** Bounds on cached groups' records (a few KB each) and single operators' energies per timing backend: memory stays flat on any sweep. */
const ENERGY_GROUP_ENTRIES = 5_000;
const ENERGY_OP_ENTRIES = 20_000;
interface Caches { groups: Map<string, EnergyRecord[]>; ops: OpEnergyMemo }
/** Per timing backend (its chip parameters), per what else an energy depends on (chip id, setting, ICI bandwidth). */
const backendCaches = new WeakMap<TimingBackend, Map<string, Caches>>();

/**
 * Single operators' energies keyed by the numbers they are computed from (cost kind and inputs,
 * FLOPs): one hash of the numbers' bits, entries compared number by number (no key string per
 * operator, which cost more than the energy itself).
 */
class OpEnergyMemo {
  private readonly buckets = new Map<number, { keys: Float64Array; energy: OpEnergy }[]>();
  private entries = 0;
  private readonly keys = new Float64Array(9);
  private readonly words = new Uint32Array(this.keys.buffer);
  private n = 0;
  private hash = 0;

  /** Load the operator's key; then get() / set(). */
  load(op: Op): this {
    const c = op.cost, k = this.keys;
    switch (c.kind) {
      case "collective": k[0] = c.opClass === "ICI" ? 0 : 1; k[1] = c.bytes; k[2] = c.iciNs; k[3] = c.flops; this.n = 4; break;
      case "elementwise": k[0] = 2; k[1] = c.opsPerElem; k[2] = c.elems; k[3] = c.bytes; this.n = 4; break;
      case "einsum": k[0] = 3; k[1] = c.b; k[2] = c.m; k[3] = c.n; k[4] = c.k; k[5] = c.lhsBytes; k[6] = c.rhsBytes; k[7] = c.outBytes; this.n = 8; break;
      case "flash": k[0] = 4; k[1] = c.b; k[2] = c.s; k[3] = c.heads; k[4] = c.d; this.n = 5; break;
    }
    k[this.n++] = op.flops;
    let h = 0x811c9dc5;
    for (let i = 0; i < 2 * this.n; i++) h = Math.imul(h ^ this.words[i], 0x01000193);
    this.hash = h;
    return this;
  }

  get(): OpEnergy | undefined {
    const bucket = this.buckets.get(this.hash);
    if (!bucket) return undefined;
    outer: for (const entry of bucket) {
      if (entry.keys.length !== this.n) continue;
      for (let i = 0; i < this.n; i++) if (entry.keys[i] !== this.keys[i]) continue outer;
      return entry.energy;
    }
    return undefined;
  }

  set(energy: OpEnergy): void {
    if (this.entries >= ENERGY_OP_ENTRIES) {
      this.buckets.clear();
      this.entries = 0;
    }
    let bucket = this.buckets.get(this.hash);
    if (!bucket) this.buckets.set(this.hash, (bucket = []));
    bucket.push({ keys: this.keys.slice(0, this.n), energy });
    this.entries++;
  }
}

/** The last lookup, reused while the chip, setting and ICI bandwidth stay the same (a sweep's usual case). */
let last: { backend: TimingBackend; chip: string; pg: string; ici: number; caches: Caches } | undefined;

function cachesFor(backend: TimingBackend, config: MoeConfig): Caches {
  const { chip, power_gating_strategy: pg, ici_bw_GBps: ici } = config;
  if (last && last.backend === backend && last.chip === chip && last.pg === pg && last.ici === ici) return last.caches;
  let bySetting = backendCaches.get(backend);
  if (!bySetting) backendCaches.set(backend, (bySetting = new Map()));
  // What an operator's energy depends on beyond the backend's chip parameters and the group key.
  const setting = `${chip}|${pg}|${ici}`;
  let caches = bySetting.get(setting);
  if (!caches) {
    if (bySetting.size >= 64) bySetting.clear();
    bySetting.set(setting, (caches = { groups: new Map(), ops: new OpEnergyMemo() }));
  }
  last = { backend, chip, pg, ici, caches };
  return caches;
}

export class EnergySink implements OpSink {
  readonly timer: BlockTimer;
  /** The phase's energy, and its MoE-layer operators' alone (when asked for: the EP group's share). */
  readonly all: PhaseEnergySum;
  readonly moe: PhaseEnergySum | undefined;
  private readonly cache: Map<string, EnergyRecord[]>;
  private readonly opCache: OpEnergyMemo;

  constructor(private readonly backend: TimingBackend, private readonly config: MoeConfig, hotExperts: number, withMoe: boolean) {
    this.timer = new BlockTimer(backend);
    this.all = new PhaseEnergySum(hotExperts);
    this.moe = withMoe ? new PhaseEnergySum(hotExperts) : undefined;
    const caches = cachesFor(backend, config);
    this.cache = caches.groups;
    this.opCache = caches.ops;
  }

  /** An operator's energy depends only on its cost inputs and FLOPs (given the chip and setting): ungrouped ones (collectives) repeat across points. */
  private record(op: Op): void {
    const memo = this.opCache.load(op);
    let energy = memo.get();
    if (!energy) {
      const timed = op as TimedOp;
      timed.timing = this.backend.time(op);
      energy = opEnergyOf(timed, this.config);
      memo.set(energy);
    }
    this.add({ block: op.block, count: op.count, energy });
  }

  private add(r: EnergyRecord): void {
    this.all.add(r);
    if (this.moe && isMoeBlock(r.block)) this.moe.add(r);
    if (this.recording) this.recording.push(r);
  }

  /** The records of the group being emitted (to cache). */
  private recording: EnergyRecord[] | undefined;

  einsum(d: string, lhs: readonly number[], rhs: readonly number[], eq: string, dtype: DType, ctx: OpContext): void {
    this.timer.einsum(d, lhs, rhs, eq, dtype, ctx);
    this.record(einsumOp(d, lhs, rhs, eq, dtype, ctx));
  }

  unary(d: string, opName: "RMSNorm" | "LayerNorm" | "Softmax", shape: readonly number[], dtype: DType, ctx: OpContext): void {
    this.timer.unary(d, opName, shape, dtype, ctx);
    this.record(unaryOp(d, opName, shape, dtype, ctx));
  }

  binary(d: string, opName: "Add" | "Mul", shape: readonly number[], dtype: DType, ctx: OpContext): void {
    this.timer.binary(d, opName, shape, dtype, ctx);
    this.record(binaryOp(d, opName, shape, dtype, ctx));
  }

  op(op: Op): void {
    this.timer.op(op);
    this.record(op);
  }

  group(key: string, emit: () => void): void {
    const times = this.backend.groupCache.get(key);
    const records = this.cache.get(key);
    if (times && records) {
      this.timer.sums.addGroup(times);
      for (const r of records) this.add(r);
      return;
    }
    // Emit through this sink: the timer's group sums and the records, both cached.
    const sums = this.timer.sums;
    sums.beginGroup();
    const recorded: EnergyRecord[] = (this.recording = []);
    emit();
    this.recording = undefined;
    this.backend.cacheGroup(key, sums.endGroup());
    if (this.cache.size >= ENERGY_GROUP_ENTRIES) this.cache.clear();
    this.cache.set(key, recorded);
  }
}
