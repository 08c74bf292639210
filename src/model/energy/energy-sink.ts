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
import { giveBackTimer, takeTimer, type BlockTimer } from "../timing/block-timer.js";
import type { TimingBackend } from "../timing/backend.js";
import { opEnergyOf, type OpEnergy } from "./op-energy.js";
import { isMoeBlock, PhaseEnergySum } from "./phase-energy.js";
import { NumberKeyMap } from "../number-key-map.js";

/** One operator's energy per execution, where it belongs and how often it runs. */
export interface EnergyRecord {
  block: Block;
  count: number;
  energy: OpEnergy;
}

/** Bounds on cached groups' records (a few KB each) and single operators' energies per timing backend: memory stays flat on any sweep. */
const ENERGY_GROUP_ENTRIES = 5_000;
const ENERGY_OP_ENTRIES = 20_000;
/** Energy settings (chip id, power gating, ICI bandwidth) whose caches are kept per timing backend. */
const MAX_SETTINGS = 4;
/** A group's time sums (as BlockTimer caches them) and its operators' records. */
interface CachedGroup { times: Float64Array; records: EnergyRecord[] }
interface Caches { groups: NumberKeyMap<CachedGroup>; ops: NumberKeyMap<OpEnergy> }
/** Per timing backend (its chip parameters), per what else an energy depends on (chip id, setting, ICI bandwidth). */
const backendCaches = new WeakMap<TimingBackend, Map<string, Caches>>();

/** An operator's cost inputs and FLOPs as numbers (a tag for the cost kind first): what its timing and energy are computed from. */
const opKey = new Float64Array(9);
function loadOpKey(op: Op): number {
  const c = op.cost, k = opKey;
  let n: number;
  switch (c.kind) {
    case "collective": k[0] = c.opClass === "ICI" ? 0 : 1; k[1] = c.bytes; k[2] = c.iciNs; k[3] = c.flops; n = 4; break;
    case "elementwise": k[0] = 2; k[1] = c.opsPerElem; k[2] = c.elems; k[3] = c.bytes; n = 4; break;
    case "einsum": k[0] = 3; k[1] = c.b; k[2] = c.m; k[3] = c.n; k[4] = c.k; k[5] = c.lhsBytes; k[6] = c.rhsBytes; k[7] = c.outBytes; n = 8; break;
    case "flash": k[0] = 4; k[1] = c.b; k[2] = c.s; k[3] = c.heads; k[4] = c.d; n = 5; break;
  }
  k[n++] = op.flops;
  return n;
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
    // Few settings at once: each may hold up to ENERGY_GROUP_ENTRIES groups of a few KB (a sweep over
    // 60 ICI bandwidths would otherwise keep them all); the oldest goes first.
    if (bySetting.size >= MAX_SETTINGS) bySetting.delete(bySetting.keys().next().value!);
    bySetting.set(setting, (caches = { groups: new NumberKeyMap(ENERGY_GROUP_ENTRIES), ops: new NumberKeyMap(ENERGY_OP_ENTRIES) }));
  }
  last = { backend, chip, pg, ici, caches };
  return caches;
}

/** Energy settings whose caches a backend keeps now (at most MAX_SETTINGS). */
export function energySettingCount(backend: TimingBackend): number {
  return backendCaches.get(backend)?.size ?? 0;
}

/** Summers given back by released sinks (two serve a sweep). */
const spareSums: PhaseEnergySum[] = [];

export class EnergySink implements OpSink {
  readonly timer: BlockTimer;
  /** The phase's energy, and its MoE-layer operators' alone (when asked for: the EP group's share). */
  readonly all: PhaseEnergySum;
  readonly moe: PhaseEnergySum | undefined;
  private readonly cache: NumberKeyMap<CachedGroup>;
  private readonly opCache: NumberKeyMap<OpEnergy>;

  /** `components`: sum the per-component energies (only their columns need them). */
  constructor(private readonly backend: TimingBackend, private readonly config: MoeConfig, hotExperts: number, withMoe: boolean, components = true) {
    // Taken from spares; release() gives them back once the caller has read the sums.
    this.timer = takeTimer(backend);
    // The columns need no detail (the per-component static/dynamic split, busy times, setpm counts).
    this.all = (spareSums.pop() ?? new PhaseEnergySum(hotExperts)).reset(hotExperts, false, components);
    this.moe = withMoe ? (spareSums.pop() ?? new PhaseEnergySum(hotExperts)).reset(hotExperts, false, false) : undefined;
    const caches = cachesFor(backend, config);
    this.cache = caches.groups;
    this.opCache = caches.ops;
  }

  /** Give the timer and summers back (after reading their sums): the next point reuses them. */
  release(): void {
    giveBackTimer(this.timer);
    if (spareSums.length < 4) spareSums.push(this.all);
    if (this.moe && spareSums.length < 4) spareSums.push(this.moe);
  }

  /** An operator's energy depends only on its cost inputs and FLOPs (given the chip and setting): ungrouped ones (collectives) repeat across points. */
  private record(op: Op): void {
    const n = loadOpKey(op);
    let energy = this.opCache.get(opKey, n);
    if (!energy) {
      const timed = op as TimedOp;
      timed.timing = this.backend.time(op);
      energy = opEnergyOf(timed, this.config);
      this.opCache.set(opKey, energy, n);
    }
    this.add({ block: op.block, count: op.count, energy });
  }

  /** Add a record's energy (run `times` times more: a group timed for one run of its operators), and record it as is. */
  private add(r: EnergyRecord, times = this.times): void {
    const scaled = times === 1 ? r : { block: r.block, count: r.count * times, energy: r.energy };
    this.all.add(scaled);
    if (this.moe && isMoeBlock(r.block)) this.moe.add(scaled);
    if (this.recording) this.recording.push(r);
  }

  /** While a group given a count is emitted once for one run of its operators: that count. */
  private times = 1;

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

  group(key: readonly number[], emit: (count: number) => void, count = 1): void {
    const cached = this.cache.get(key);
    if (cached) {
      this.timer.sums.addGroup(cached.times, 0, count);
      for (const r of cached.records) this.add(r, count);
      return;
    }
    // Emit through this sink (one run of the operators when a count is given): the group's time sums and its records, cached together.
    const sums = this.timer.sums;
    sums.beginGroup();
    const records: EnergyRecord[] = (this.recording = []);
    this.times = count;
    emit(1);
    this.times = 1;
    this.recording = undefined;
    // Kept from its second emission on, as the timer keeps groups: a group that never comes back costs no memory.
    const times = sums.endGroup(count);
    if (this.backend.keepGroup(key, times)) this.cache.set(key, { times: times.slice(), records });
  }
}
