/**
 * The sweep's energy consumer of the operator graph: times the phase like
 * BlockTimer (it wraps one) and records each operator's energy per single
 * execution with its block and count, in emission order, the order NeuSim's
 * rows follow. A cached group replays its operators' records without building
 * or costing them again, so an energy point costs about a time-only point plus
 * the phase sums; the records are the ones evaluate()'s operator list gives, so
 * the sums are the same doubles.
 */
import { binaryOp, einsumOp, unaryOp, type OpContext } from "../ops/builders.js";
import type { Block, DType, Op } from "../ops/op.js";
import type { OpSink } from "../ops/sink.js";
import type { MoeConfig } from "../config.js";
import type { TimedOp } from "../evaluate.js";
import { BlockTimer } from "../timing/block-timer.js";
import type { TimingBackend } from "../timing/backend.js";
import { opEnergyOf, type OpEnergy } from "./op-energy.js";

/** One operator's energy per execution, where it belongs and how often it runs. */
export interface EnergyRecord {
  block: Block;
  count: number;
  energy: OpEnergy;
}

/** Bounds on cached groups' records (a few KB each) and single operators' energies per timing backend: memory stays flat on any sweep. */
const ENERGY_GROUP_ENTRIES = 5_000;
const ENERGY_OP_ENTRIES = 20_000;
const backendCaches = new WeakMap<TimingBackend, { groups: Map<string, EnergyRecord[]>; ops: Map<string, OpEnergy> }>();

/** What an operator's timing and energy are computed from (its cost inputs and FLOPs), as text. */
function costKey(op: Op): string {
  const c = op.cost;
  switch (c.kind) {
    case "collective": return `c${c.opClass}|${c.bytes}|${c.iciNs}|${c.flops}|${op.flops}`;
    case "elementwise": return `e${c.opsPerElem}|${c.elems}|${c.bytes}|${op.flops}`;
    case "einsum": return `m${c.b}|${c.m}|${c.n}|${c.k}|${c.lhsBytes}|${c.rhsBytes}|${c.outBytes}|${op.flops}`;
    case "flash": return `f${c.b}|${c.s}|${c.heads}|${c.d}|${op.flops}`;
  }
}

export class EnergySink implements OpSink {
  readonly timer: BlockTimer;
  readonly records: EnergyRecord[] = [];
  private readonly cache: Map<string, EnergyRecord[]>;
  private readonly opCache: Map<string, OpEnergy>;
  /** What an operator's energy depends on beyond the backend's chip parameters and the group key. */
  private readonly prefix: string;

  constructor(private readonly backend: TimingBackend, private readonly config: MoeConfig) {
    this.timer = new BlockTimer(backend);
    let caches = backendCaches.get(backend);
    if (!caches) backendCaches.set(backend, (caches = { groups: new Map(), ops: new Map() }));
    this.cache = caches.groups;
    this.opCache = caches.ops;
    this.prefix = `${config.chip}|${config.power_gating_strategy}|${config.ici_bw_GBps}|`;
  }

  /** An operator's energy depends only on its cost inputs and FLOPs (given the chip and setting): ungrouped ones (collectives) repeat across points. */
  private record(op: Op): void {
    const key = this.prefix + costKey(op);
    let energy = this.opCache.get(key);
    if (!energy) {
      const timed = op as TimedOp;
      timed.timing = this.backend.time(op);
      energy = opEnergyOf(timed, this.config);
      if (this.opCache.size >= ENERGY_OP_ENTRIES) this.opCache.clear();
      this.opCache.set(key, energy);
    }
    this.records.push({ block: op.block, count: op.count, energy });
  }

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
    const records = this.cache.get(this.prefix + key);
    if (times && records) {
      this.timer.sums.addGroup(times);
      for (const r of records) this.records.push(r);
      return;
    }
    // Emit through this sink: the timer's group sums and the records, both cached.
    const sums = this.timer.sums;
    sums.beginGroup();
    const start = this.records.length;
    emit();
    this.backend.cacheGroup(key, sums.endGroup());
    if (this.cache.size >= ENERGY_GROUP_ENTRIES) this.cache.clear();
    this.cache.set(this.prefix + key, this.records.slice(start));
  }
}
