/**
 * Operators as NeuSim describes them: a description, an opcode, shapes, a count,
 * and the inputs its timing backend needs. Builders here are pure.
 */

/** Where an operator belongs in one layer (used for per-block breakdowns). */
export type Block =
  | "attention"
  | "ffn_tp_collective"
  | "router"
  | "dispatch_all_to_all"
  | "hot_experts"
  | "remaining_experts"
  | "combine_all_to_all"
  | "shared_experts"
  | "combine"
  | "residual"
  /** A dense model's FFN (Llama): part of the FFN layer time, like the expert blocks. */
  | "dense_ffn"
  /** Activations received from the previous pipeline stage and sent to the next (pp > 1). */
  | "pipeline_ici";

export const MOE_BLOCKS: readonly Block[] = [
  "ffn_tp_collective", "router", "dispatch_all_to_all", "hot_experts", "remaining_experts",
  "combine_all_to_all", "shared_experts", "combine", "residual", "dense_ffn",
];

/** Every block, in a fixed order: per-block sums are indexed by it (and group keys carry a block as its index). */
export const BLOCKS: readonly Block[] = [
  "attention", "ffn_tp_collective", "router", "dispatch_all_to_all", "hot_experts", "remaining_experts",
  "combine_all_to_all", "shared_experts", "combine", "residual", "pipeline_ici", "dense_ffn",
];
/**
 * A block's place in BLOCKS. A switch, not an object keyed by the name: called for every
 * operator with a dozen different names, a keyed load goes megamorphic (twice the time).
 */
export function blockIndex(b: Block): number {
  switch (b) {
    case "attention": return 0;
    case "ffn_tp_collective": return 1;
    case "router": return 2;
    case "dispatch_all_to_all": return 3;
    case "hot_experts": return 4;
    case "remaining_experts": return 5;
    case "combine_all_to_all": return 6;
    case "shared_experts": return 7;
    case "combine": return 8;
    case "residual": return 9;
    case "pipeline_ici": return 10;
    case "dense_ffn": return 11;
  }
}

/** NeuSim's OpType, which decides how VMEM time is computed. */
export type OpClass = "MXU" | "VPU" | "ICI";

export type OpCost =
  /** Einsum on the systolic arrays: b batch, m lhs-only, n rhs-only, k reduction (size-1 axes dropped). */
  | { kind: "einsum"; b: number; m: number; n: number; k: number; lhsBytes: number; rhsBytes: number; outBytes: number }
  /** Elementwise op on the vector units: c ops per element over `elems` elements. */
  | { kind: "elementwise"; opsPerElem: number; elems: number; bytes: number }
  /** NeuSim's FlashAttention over a [b, s, heads, d] query, keys and values (prefill, non-causal). */
  | { kind: "flash"; b: number; s: number; heads: number; d: number }
  /** Collective with preset HBM traffic and ICI time; VPU-class collectives also reduce `flops`. */
  | { kind: "collective"; opClass: "VPU" | "ICI"; bytes: number; iciNs: number; flops: number };

/** The shapes an operator was built from; NeuSim's Config string is derived from them on demand. */
export type OpShape =
  | { kind: "einsum"; lhs: readonly number[]; rhs: readonly number[]; eq: string; dtype: DType }
  | { kind: "unary"; shape: readonly number[]; dtype: DType }
  | { kind: "binary"; shape: readonly number[]; dtype: DType }
  | { kind: "gather" | "scatter" | "exchange"; input: readonly number[]; output: readonly number[] }
  | { kind: "transfer"; direction: "Input" | "Output"; shape: readonly number[] }
  | { kind: "flash"; q: readonly number[] };

export interface Op {
  fusion_index: number;
  description: string;
  opcode: string;
  shape: OpShape;
  count: number;
  flops: number;
  block: Block;
  cost: OpCost;
}

export const DTYPE_BYTES = { DT_BFLOAT16: 2, DT_FLOAT32: 4, DT_FLOAT8: 1 } as const;
export type DType = keyof typeof DTYPE_BYTES;

const dims = (shape: readonly number[]) => shape.join("x");

/** NeuSim's Config column, e.g. XlaEinsum(a=..,b=..,eq=..,memory_placements=0_0_0,type=DT_BFLOAT16). */
export function opConfigString(op: Op): string {
  const s = op.shape;
  switch (s.kind) {
    case "einsum": return `XlaEinsum(a=${dims(s.lhs)},b=${dims(s.rhs)},eq=${s.eq},memory_placements=0_0_0,type=${s.dtype})`;
    case "unary": return `${op.opcode}(x=${dims(s.shape)},memory_placements=0_0,type=${s.dtype})`;
    case "binary": return `${op.opcode}(a=${dims(s.shape)},b=${dims(s.shape)},memory_placements=0_0_0,type=${s.dtype})`;
    case "gather": case "exchange": return `${op.opcode}(${dims(s.input)}->${dims(s.output)})`;
    case "transfer": return `InterChipComm${s.direction}([${s.shape.join(", ")}])`;
    case "flash": return `FlashAttention(q=${dims(s.q)},k=${dims(s.q)},v=${dims(s.q)},memory_placements=[0, 0, 0],type=DT_BFLOAT16)`;
    case "scatter": {
      const quoted = (v: readonly number[]) => `[${v.map((d) => `'${d}'`).join(", ")}]`;
      return `ReduceScatter(${quoted(s.input)}->${quoted(s.output)})`;
    }
  }
}
