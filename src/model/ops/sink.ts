/**
 * Where the operator graph goes. graph.ts describes each phase once and emits
 * every operator to a sink: OpListSink builds NeuSim-style Op objects (for
 * `eval --ops` and the fidelity tests); BlockTimer (timing/block-timer.ts) only
 * times them and adds the times up per block (for sweeps). Matmuls and vector
 * ops, most of the graph, are emitted as numbers; collectives as Op objects.
 */
import { binaryOp, einsumOp, unaryOp, type OpContext } from "./builders.js";
import type { DType, Op } from "./op.js";

/** The first number of a group key: which kind of group it is. */
export const GROUP_MLA_ATTENTION = 0, GROUP_FFN = 1, GROUP_MOE_INPUT = 2, GROUP_MHA_ATTENTION = 3, GROUP_MOE_OUTPUT = 4;

export interface OpSink {
  einsum(description: string, lhs: readonly number[], rhs: readonly number[], eq: string, dtype: DType, ctx: OpContext): void;
  unary(description: string, opName: "RMSNorm" | "LayerNorm" | "Softmax", shape: readonly number[], dtype: DType, ctx: OpContext): void;
  binary(description: string, opName: "Add" | "Mul", shape: readonly number[], dtype: DType, ctx: OpContext): void;
  /** A collective or transfer, already built (a few per layer). */
  op(op: Op): void;
  /**
   * A group of operators whose times depend only on `key` (and the chip): a
   * timing sink may replay a cached group instead of emitting it again. Every
   * number the group's operators use must be in the key, after a tag naming the
   * kind of group (numbers, so a lookup builds no key string). A sink reads `key` only
   * while group() runs (a caller may change it afterwards).
   *
   * `count`: given when every operator of the group runs `count` times; emit(n) then emits
   * them with count n, and a timing sink may time one run (emit(1)) and scale its sums, so
   * the key need not hold the count (execution times are whole nanoseconds: exact either
   * way). Without it, emit's operators carry their own counts (and emit ignores n).
   */
  group(key: readonly number[], emit: (count: number) => void, count?: number): void;
}

/** Builds the Op list, in emission order. */
export class OpListSink implements OpSink {
  readonly ops: Op[] = [];
  /** [start, end) op index ranges of the groups, in order (the op list adds its times up group by group, as the timing sink does). */
  readonly groups: [number, number][] = [];
  einsum(description: string, lhs: readonly number[], rhs: readonly number[], eq: string, dtype: DType, ctx: OpContext): void {
    this.ops.push(einsumOp(description, lhs, rhs, eq, dtype, ctx));
  }
  unary(description: string, opName: "RMSNorm" | "LayerNorm" | "Softmax", shape: readonly number[], dtype: DType, ctx: OpContext): void {
    this.ops.push(unaryOp(description, opName, shape, dtype, ctx));
  }
  binary(description: string, opName: "Add" | "Mul", shape: readonly number[], dtype: DType, ctx: OpContext): void {
    this.ops.push(binaryOp(description, opName, shape, dtype, ctx));
  }
  op(op: Op): void {
    this.ops.push(op);
  }
  group(_key: readonly number[], emit: (count: number) => void, count = 1): void {
    const start = this.ops.length;
    emit(count);
    this.groups.push([start, this.ops.length]);
  }
}
