/**
 * Operator builders, ported from NeuSim's llm_ops_lib (create_einsum_op,
 * create_unary_op, create_elementwise_binary_op, create_all_gather_op,
 * create_reduce_scatter_op, create_all_to_all_op). Pure.
 */
import { product } from "../numeric.js";
import { DTYPE_BYTES, type Block, type DType, type Op } from "./op.js";

/** Per-operator context the builders need: where it goes and how often it runs. */
export interface OpContext {
  count: number;
  block: Block;
  /** NeuSim's fusion index, where the graph sets it itself (Llama: several operators share one). */
  fusion?: number;
}

/** Axis classes of an einsum equation: which lhs axes are batch (b), reduction (k) or lhs-only (m), which rhs axes are n. */
export interface EinsumAxes { b: number[]; k: number[]; m: number[]; n: number[] }
const einsumAxesCache = new Map<string, EinsumAxes>();

export function einsumAxes(eq: string): EinsumAxes {
  let axes = einsumAxesCache.get(eq);
  if (axes) return axes;
  const [inputs, out] = eq.split("->");
  const [lhs, rhs] = inputs.split(";");
  axes = { b: [], k: [], m: [], n: [] };
  for (let i = 0; i < lhs.length; i++) {
    const a = lhs[i];
    if (rhs.includes(a) && out.includes(a)) axes.b.push(i);
    else if (rhs.includes(a)) axes.k.push(i);
    else axes.m.push(i);
  }
  for (let i = 0; i < rhs.length; i++) if (!lhs.includes(rhs[i])) axes.n.push(i);
  einsumAxesCache.set(eq, axes);
  return axes;
}

export function productAt(shape: readonly number[], idx: readonly number[]): number {
  let p = 1;
  for (let i = 0; i < idx.length; i++) p *= shape[idx[i]];
  return p;
}

/**
 * Einsum "LHS;RHS->OUT" with one letter per axis. Batch axes are in both inputs
 * and the output, reduction axes in both inputs only, m lhs-only, n rhs-only.
 * (NeuSim drops size-1 axes first; they contribute a factor 1 either way.)
 */
export function einsumOp(
  description: string, lhs: readonly number[], rhs: readonly number[], eq: string,
  dtype: DType, ctx: OpContext,
): Op {
  const axes = einsumAxes(eq);
  const b = productAt(lhs, axes.b), k = productAt(lhs, axes.k), m = productAt(lhs, axes.m), n = productAt(rhs, axes.n);
  const bytes = DTYPE_BYTES[dtype];
  return {
    fusion_index: ctx.fusion ?? 0, description, opcode: "Einsum",
    shape: { kind: "einsum", lhs, rhs, eq, dtype },
    count: ctx.count,
    flops: 2 * b * m * n * k,
    block: ctx.block,
    cost: { kind: "einsum", b, m, n, k, lhsBytes: bytes, rhsBytes: bytes, outBytes: bytes },
  };
}

/** NeuSim's vector-unit ops per element (get_flops_unary_op and the backend). */
export const OPS_PER_ELEM: Record<string, number> = { RMSNorm: 6, LayerNorm: 8, Softmax: 4, Add: 1, Mul: 1 };

/** Unary vector op (RMSNorm, Softmax): input and output of the same shape. */
export function unaryOp(description: string, opName: "RMSNorm" | "LayerNorm" | "Softmax", shape: readonly number[], dtype: DType, ctx: OpContext): Op {
  const elems = product(shape);
  return {
    fusion_index: ctx.fusion ?? 0, description, opcode: opName,
    shape: { kind: "unary", shape, dtype },
    count: ctx.count, flops: OPS_PER_ELEM[opName] * elems, block: ctx.block,
    cost: { kind: "elementwise", opsPerElem: OPS_PER_ELEM[opName], elems, bytes: 2 * elems * DTYPE_BYTES[dtype] },
  };
}

/** Binary Add/Mul. NeuSim lists one input tensor, so HBM traffic is one input plus the output. */
export function binaryOp(description: string, opName: "Add" | "Mul", shape: readonly number[], dtype: DType, ctx: OpContext): Op {
  const elems = product(shape);
  return {
    fusion_index: ctx.fusion ?? 0, description, opcode: opName,
    shape: { kind: "binary", shape, dtype },
    count: ctx.count, flops: elems, block: ctx.block,
    cost: { kind: "elementwise", opsPerElem: 1, elems, bytes: 2 * elems * DTYPE_BYTES[dtype] },
  };
}

/** Elements a chip moves in a reduce-scatter over the given axes (stage by stage). */
export function reduceScatterElemsPerChip(elemsPerChip: number, axes: readonly number[]): number {
  let total = 0;
  let stage = elemsPerChip;
  for (const d of axes) {
    total += stage;
    stage = Math.ceil(stage / d);
  }
  return total;
}

/** All-gather moves what a reduce-scatter of the gathered tensor would. */
export function allGatherElemsPerChip(elemsPerChip: number, axes: readonly number[]): number {
  return reduceScatterElemsPerChip(elemsPerChip * product(axes), axes);
}

export interface IciLink {
  ici_bw_GBps: number;
  ici_latency_ns: number;
}

/** ICI time: bandwidth term (bytes/(GB/s) = ns) vs. per-peer latency term. */
function iciTimeNs(bytes: number, aggBwGBps: number, latencyNs: number, peers: number): number {
  return Math.max(Math.ceil(bytes / aggBwGBps), latencyNs * peers);
}

export function allGatherOp(
  description: string, shape: readonly number[], axes: readonly number[], gatherDim: number,
  dtype: DType, link: IciLink, ctx: OpContext,
): { op: Op; output: number[] } {
  const degree = product(axes);
  const transfer = DTYPE_BYTES[dtype] * allGatherElemsPerChip(product(shape), axes);
  const output = [...shape];
  output[gatherDim] *= degree;
  const op: Op = {
    fusion_index: ctx.fusion ?? 0, description, opcode: "AllGather",
    shape: { kind: "gather", input: shape, output },
    count: ctx.count, flops: 0, block: ctx.block,
    cost: {
      kind: "collective", opClass: "ICI", bytes: 2 * transfer, flops: 0,
      iciNs: iciTimeNs(transfer, link.ici_bw_GBps * axes.length, link.ici_latency_ns, degree - 1),
    },
  };
  return { op, output };
}

export function reduceScatterOp(
  description: string, shape: readonly number[], axes: readonly number[], reductionDim: number,
  link: IciLink, ctx: OpContext,
): { op: Op; output: number[] } {
  const degree = product(axes);
  const perChip = reduceScatterElemsPerChip(Math.ceil(product(shape) / degree), axes);
  const transfer = DTYPE_BYTES.DT_BFLOAT16 * perChip;
  const flops = Math.ceil(perChip * (degree - 1));
  const output = [...shape];
  output[reductionDim] = Math.ceil(output[reductionDim] / degree);
  const op: Op = {
    fusion_index: ctx.fusion ?? 0, description, opcode: "ReduceScatter",
    shape: { kind: "scatter", input: shape, output },
    count: ctx.count, flops, block: ctx.block,
    cost: {
      kind: "collective", opClass: "VPU", bytes: 2 * transfer, flops,
      iciNs: iciTimeNs(transfer, link.ici_bw_GBps * axes.length, link.ici_latency_ns, degree - 1),
    },
  };
  return { op, output };
}

/**
 * MoE dispatch/combine all-to-all. The receiver skew of the busiest device
 * scales only the bandwidth-bound term (imbalance-model.md, "All-to-all cost").
 */
export function allToAllOp(
  description: string, shape: readonly number[], dtype: DType, bisectionGBps: number,
  expertParallelism: number, receiverSkew: number, latencyNs: number, ctx: OpContext,
): Op {
  const transfer = DTYPE_BYTES[dtype] * product(shape);
  return {
    fusion_index: ctx.fusion ?? 0, description, opcode: "AllToAll",
    shape: { kind: "exchange", input: shape, output: shape },
    count: ctx.count, flops: 0, block: ctx.block,
    cost: {
      kind: "collective", opClass: "ICI", bytes: 2 * transfer, flops: 0,
      iciNs: Math.max(Math.ceil((transfer * receiverSkew) / bisectionGBps), latencyNs * (expertParallelism - 1)),
    },
  };
}

/**
 * Activations moved between pipeline stages over ICI (NeuSim's
 * create_ic_transfer_op): one direction's bytes, at one link's bandwidth,
 * never faster than one hop's latency.
 */
export function pipelineTransferOp(description: string, shape: readonly number[], direction: "Input" | "Output", link: IciLink, ctx: OpContext): Op {
  const transfer = DTYPE_BYTES.DT_BFLOAT16 * product(shape);
  return {
    fusion_index: ctx.fusion ?? 0, description, opcode: `InterChipXfer${direction}`,
    shape: { kind: "transfer", direction, shape },
    count: ctx.count, flops: 0, block: ctx.block,
    cost: { kind: "collective", opClass: "ICI", bytes: transfer, flops: 0, iciNs: Math.max(Math.ceil(transfer / link.ici_bw_GBps), link.ici_latency_ns) },
  };
}

/**
 * NeuSim's FlashAttention (prefill, non-causal, S x S), on a [b, s, heads, d]
 * query. NeuSim quirk kept: its FLOP count uses the head count where d belongs.
 */
export function flashAttentionOp(description: string, q: readonly [number, number, number, number], ctx: OpContext): Op {
  const [b, s, heads, d] = q;
  return {
    fusion_index: ctx.fusion ?? 0, description, opcode: "FlashAttention",
    shape: { kind: "flash", q },
    count: ctx.count, flops: 4 * b * s * s * heads * heads + 4 * heads * b * s * s, block: ctx.block,
    cost: { kind: "flash", b, s, heads, d },
  };
}
