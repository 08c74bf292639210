/**
 * The two tile-search statistics NeuSim's power-gating model reads from an
 * MXU operator's row (npusim_lib): its largest useful VMEM footprint and its
 * number of sa_dim x sa_dim MXU matmuls. Neither changes any time; both are
 * derived here from the operator's shape, as NeuSim derives them. Pure.
 */
import type { OpCost } from "../ops/op.js";

export interface OpStatsChip {
  sa_dim: number;
  vmem_size_MB: number;
}

export interface MxuStats {
  /** max_vmem_demand_bytes: the smallest VMEM that gives the tile search its best reuse. */
  vmemDemandBytes: number;
  /** num_mxu_ops, counted as if on the MXU even when the matmul was lowered to the vector units. */
  mxuOps: number;
}

/** Bytes per element of FlashAttention's tensors (bf16, as NeuSim's generator emits them). */
const FLASH_DTYPE_BYTES = 2;

/** Stats of an einsum or FlashAttention operator; undefined for the rest (NeuSim leaves them blank). */
export function mxuStats(cost: OpCost, chip: OpStatsChip): MxuStats | undefined {
  const d = chip.sa_dim;
  if (cost.kind === "einsum") {
    const { b, m, n, k } = cost;
    // Whole output tile, and K capped at 8 systolic-array widths for the inputs.
    const kTile = Math.min(d * 8, k);
    const vmemDemandBytes = cost.outBytes * m * n + cost.lhsBytes * m * kTile + cost.rhsBytes * kTile * n;
    return { vmemDemandBytes, mxuOps: b * (Math.ceil(m / d) * Math.ceil(n / d) * Math.ceil(k / d)) };
  }
  if (cost.kind === "flash") {
    const { b, s, heads, d: dHead } = cost;
    const q = b * s * heads * dHead;
    // NeuSim's footprint of an untiled FlashAttention: Q, K+V, the score tensor (sized with d_head, as NeuSim writes it) and O.
    const untiled = (q + 2 * q + b * s * s * heads * dHead + q) * FLASH_DTYPE_BYTES;
    const fits = untiled <= chip.vmem_size_MB * 1024 * 1024;
    // Tiled: the (Bc = max(sa_dim, kv_seqlen), Br = sa_dim) tile.
    const bc = Math.max(d, s), br = d;
    const vmemDemandBytes = fits ? untiled : (2 * bc * dHead + br * dHead + 2 * bc * br) * FLASH_DTYPE_BYTES;
    const perMatmul = heads * b * (Math.ceil(s / d) * Math.ceil(s / d) * Math.ceil(dHead / d));
    return { vmemDemandBytes, mxuOps: perMatmul + perMatmul };
  }
  return undefined;
}
