/**
 * The sweep's consumer of the operator graph: times each operator as it is
 * emitted (numbers only: no Op or timing objects for matmuls and vector ops)
 * and adds execution time x count per block, in emission order, exactly as
 * evaluate() adds up its timed Op list (PhaseSums is shared, so the doubles match).
 */
import { BLOCKS, blockIndex, DTYPE_BYTES, type Block, type DType, type Op } from "../ops/op.js";

export { BLOCKS, blockIndex };

import { einsumAxes, OPS_PER_ELEM, productAt, type OpContext } from "../ops/builders.js";
import type { OpSink } from "../ops/sink.js";
import { product } from "../numeric.js";
import type { TimingBackend } from "./backend.js";

const STAGE = BLOCKS.length, PIPELINE = BLOCKS.length + 1;
/** A group's sums: per block, then the stage's and the pipeline transfers' totals. */
export const GROUP_SUMS_LENGTH = BLOCKS.length + 2;

/**
 * A phase's time, per block and in total: one stage's operators, and the
 * pipeline transfers apart. Operators in a group are added up within the group
 * first, then the group's sums into the phase's, so a cached group replays to
 * the same doubles as emitting it again (both consumers add this way).
 */
export class PhaseSums {
  readonly byBlock = new Float64Array(BLOCKS.length);
  stageNs = 0;
  pipelineNs = 0;
  private open: Float64Array | null = null;
  /** The open group's sums: one array reused group after group (a cache keeps a copy). */
  private readonly groupScratch = new Float64Array(GROUP_SUMS_LENGTH);

  add(block: Block, execNs: number, count: number): void {
    const t = execNs * count;
    const g = this.open;
    if (g) {
      g[blockIndex(block)] += t;
      g[block === "pipeline_ici" ? PIPELINE : STAGE] += t;
      return;
    }
    if (block === "pipeline_ici") this.pipelineNs += t;
    else this.stageNs += t;
    this.byBlock[blockIndex(block)] += t;
  }

  /** Back to zero, to time another phase (a sweep reuses one PhaseSums). */
  reset(): void {
    this.byBlock.fill(0);
    this.stageNs = 0;
    this.pipelineNs = 0;
    this.open = null;
  }

  beginGroup(): void {
    this.open = this.groupScratch.fill(0);
  }

  /** Close the group, add it in (`times` times), and return its sums: valid until the next group begins (copy to keep them). */
  endGroup(times = 1): Float64Array {
    const g = this.open!;
    this.open = null;
    this.addGroup(g, 0, times);
    return g;
  }

  /** Add a group's sums, kept at offset `at` of `g`, `times` times (a group timed for one run of its operators). */
  addGroup(g: Float64Array, at = 0, times = 1): void {
    for (let i = 0; i < BLOCKS.length; i++) this.byBlock[i] += g[at + i] * times;
    this.stageNs += g[at + STAGE] * times;
    this.pipelineNs += g[at + PIPELINE] * times;
  }
}

/** A spare timer: a sweep takes one per point and gives it back, so none is allocated per point. */
let spareTimer: BlockTimer | null = null;

/** A timer for a phase on this backend, at zero (the spare one when free; a nested caller gets a new one). */
export function takeTimer(backend: TimingBackend): BlockTimer {
  const timer = spareTimer ?? new BlockTimer(backend);
  spareTimer = null;
  return timer.reset(backend);
}

/** Give a timer back once its sums have been read. */
export function giveBackTimer(timer: BlockTimer): void {
  spareTimer = timer;
}

export class BlockTimer implements OpSink {
  readonly sums = new PhaseSums();
  constructor(private backend: TimingBackend) {}

  /** Time another phase, perhaps on another chip: a sweep reuses one timer rather than allocate one per point. */
  reset(backend: TimingBackend): this {
    this.backend = backend;
    this.sums.reset();
    return this;
  }

  einsum(_d: string, lhs: readonly number[], rhs: readonly number[], eq: string, dtype: DType, ctx: OpContext): void {
    const axes = einsumAxes(eq);
    const bytes = DTYPE_BYTES[dtype];
    const t = this.backend.einsumExecNs(productAt(lhs, axes.b), productAt(lhs, axes.m), productAt(rhs, axes.n), productAt(lhs, axes.k), bytes, bytes, bytes);
    this.sums.add(ctx.block, t, ctx.count);
  }

  unary(_d: string, opName: "RMSNorm" | "LayerNorm" | "Softmax", shape: readonly number[], dtype: DType, ctx: OpContext): void {
    const elems = product(shape);
    this.sums.add(ctx.block, this.backend.elementwiseExecNs(OPS_PER_ELEM[opName], elems, 2 * elems * DTYPE_BYTES[dtype]), ctx.count);
  }

  binary(_d: string, _opName: "Add" | "Mul", shape: readonly number[], dtype: DType, ctx: OpContext): void {
    const elems = product(shape);
    this.sums.add(ctx.block, this.backend.elementwiseExecNs(1, elems, 2 * elems * DTYPE_BYTES[dtype]), ctx.count);
  }

  op(op: Op): void {
    this.sums.add(op.block, this.backend.execNs(op.cost), op.count);
  }

  /** A cached group's sums replayed, or its operators timed (for one run of them when `count` is given) and kept. */
  group(key: readonly number[], emit: (count: number) => void, count = 1): void {
    const cache = this.backend.groupCache;
    const at = cache.rowOf(key);
    if (at >= 0) {
      this.sums.addGroup(cache.rows, at, count);
      return;
    }
    this.sums.beginGroup();
    emit(1);
    this.backend.keepGroup(key, this.sums.endGroup(count));
  }
}
