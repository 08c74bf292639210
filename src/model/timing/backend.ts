/**
 * NeuSim's per-operator timing (op_analysis_lib.fill_operators_execution_info and
 * npusim_lib): systolic-array and vector-unit time, HBM traffic (with the VMEM
 * tile search), memory time, VMEM time, ICI time, execution time = their max.
 * Pure. Per chip, the VMEM tile search is memoized by matmul shape and the sums of
 * repeated operator groups are kept for BlockTimer (graph.ts keys them); a single
 * operator's time costs less to compute than to look up.
 */
import type { Op, OpClass, OpCost } from "../ops/op.js";
import { hashNumbers, NumberRowMap } from "../number-key-map.js";
import { GROUP_SUMS_LENGTH } from "./block-timer.js";
import { CHIP_PARAM_NAMES, chipParamsKey, type ChipParams } from "./chip-params.js";
import { bestTile } from "./tile-search.js";

export type BoundedBy = "Compute" | "Memory" | "ICI/NVLink";

export interface OpTiming {
  execution_time_ns: number;
  compute_time_ns: number;
  memory_time_ns: number;
  ici_time_ns: number;
  mxu_time_ns: number;
  vpu_time_ns: number;
  vmem_time_ns: number;
  bytes_accessed: number;
  bounded_by: BoundedBy;
}

/**
 * Bound on memoized tile searches per chip, so memory stays flat on any sweep (about
 * 3 MB at the bound); large enough that a sweep whose inner axes are batch x seqlen
 * (thousands of shapes per outer point) still hits when the outer axes repeat them.
 */
const TILE_MEMO_ENTRIES = 50_000;

/**
 * Bound on cached operator groups per chip (each about 300 bytes: its sums, and a key slot as
 * wide as the longest key). Only groups seen twice are cached, so few need room.
 */
const GROUP_CACHE_ENTRIES = 8_192;

/** Slots of the seen-once filter in front of the group cache (64 kB). */
const SEEN_GROUP_SLOTS = 1 << 14;

/** Elements one vector unit processes per cycle (8 sublanes x 128 lanes). */
const VU_ELEMS_PER_CYCLE = 8 * 128;

export class TimingBackend {
  /** Tile-search traffic per batch element, by (m, n, k and dtype sizes): the choice does not depend on the batch. */
  private readonly tileMemo = new NumberRowMap(TILE_MEMO_ENTRIES, 1);
  private readonly tileKey = new Float64Array(3);
  private readonly vmemBwGBps: number;
  private readonly saBwGBps: number;
  private readonly vpuBwGBps: number;
  private readonly hbmGiBPerNs: number;

  /** Sums of operator groups (graph.ts names what each depends on), for this chip, a row each; bounded like the tile memo. */
  readonly groupCache = new NumberRowMap(GROUP_CACHE_ENTRIES, GROUP_SUMS_LENGTH);

  /**
   * Keep a timed group's sums (the timer's scratch: they are copied) from its second timing
   * on; true if kept. A sweep whose groups never repeat (new shapes at every point) keeps
   * nothing for them.
   */
  keepGroup(key: readonly number[], sums: Float64Array): boolean {
    if (!this.seenBefore(key)) return false;
    const at = this.groupCache.rowFor(key);
    this.groupCache.rows.set(sums, at);
    return true;
  }

  /**
   * Hashes of group keys seen once. A collision only caches a group early; a cached group
   * replays the same doubles.
   */
  private readonly seenGroups = new Int32Array(SEEN_GROUP_SLOTS);

  private seenBefore(key: readonly number[]): boolean {
    const h = hashNumbers(key, key.length);
    const slot = h & (SEEN_GROUP_SLOTS - 1);
    if (this.seenGroups[slot] === h) return true;
    this.seenGroups[slot] = h;
    return false;
  }

  constructor(readonly chip: ChipParams) {
    const { num_vu_ports: ports, freq_GHz: f, sa_dim: sa, num_sa: nsa } = chip;
    this.vmemBwGBps = ports * f * 8 * 128 * 4;
    this.saBwGBps = (sa + sa) * 2 * nsa * f;
    this.vpuBwGBps = 128 * 8 * ports * f;
    this.hbmGiBPerNs = (chip.hbm_bw_GBps * 1024 * 1024 * 1024) / 1e9;
  }

  /** Every time of one operator (for `eval --ops` and the fidelity tests). */
  time(op: Op): OpTiming {
    this.compute(op.cost);
    return this.finish(this.opClass, this.mxu, this.vpu, this.bytes, this.ici);
  }

  /** Execution time alone, with no object made (the sweep path; same numbers as time()). */
  execNs(cost: OpCost): number {
    this.compute(cost);
    return this.execOf(this.opClass, this.mxu, this.vpu, this.bytes, this.ici);
  }

  /** Execution time of an einsum given its axis sizes, with no object made. */
  einsumExecNs(b: number, m: number, n: number, k: number, lhsBytes: number, rhsBytes: number, outBytes: number): number {
    this.matmulCompute(b, m, n, k);
    return this.execOf("MXU", this.mxu, this.vpu, this.matmulBytes(b, m, n, k, lhsBytes, rhsBytes, outBytes), 0);
  }

  /** Execution time of an elementwise vector op, with no object made. */
  elementwiseExecNs(opsPerElem: number, elems: number, bytes: number): number {
    const vpu = this.elementwiseVpuNs(opsPerElem, elems);
    return this.execOf("VPU", 0, vpu, bytes, 0);
  }

  // Scratch results of compute(): one operator at a time, so the sweep path allocates nothing.
  // Each starts as -0, a double: a field that starts as a small integer changes its object's hidden
  // class the first time it holds a fraction or passes 2^30 (bytes do, late in a sweep), and every
  // optimized function that reads this backend is then thrown away and compiled again.
  private opClass: OpClass = "MXU";
  private mxu = -0;
  private vpu = -0;
  private bytes = -0;
  private ici = -0;

  private compute(cost: OpCost): void {
    switch (cost.kind) {
      case "einsum":
        this.matmulCompute(cost.b, cost.m, cost.n, cost.k);
        this.opClass = "MXU";
        this.bytes = this.matmulBytes(cost.b, cost.m, cost.n, cost.k, cost.lhsBytes, cost.rhsBytes, cost.outBytes);
        this.ici = 0;
        return;
      case "elementwise":
        this.opClass = "VPU";
        this.mxu = 0;
        this.vpu = this.elementwiseVpuNs(cost.opsPerElem, cost.elems);
        this.bytes = cost.bytes;
        this.ici = 0;
        return;
      case "flash":
        this.flashAttention(cost.b, cost.s, cost.heads, cost.d);
        this.opClass = "MXU";
        this.ici = 0;
        return;
      case "collective":
        this.opClass = cost.opClass;
        this.mxu = 0;
        // NeuSim quirk kept: reduction time of a collective is not divided by the frequency.
        this.vpu = Math.ceil(cost.flops / (this.chip.num_vu * VU_ELEMS_PER_CYCLE));
        this.bytes = cost.bytes;
        this.ici = cost.iciNs;
        return;
    }
  }

  /**
   * NeuSim's FlashAttention: two passes of S x S x D tiles on the systolic
   * arrays, the softmax on the vector units, and HBM traffic that re-reads K and V
   * once per query block when they do not fit in VMEM.
   */
  private flashAttention(B: number, S: number, heads: number, D: number): void {
    const { sa_dim: sa, num_sa: nsa, num_vu: nvu, freq_GHz: f } = this.chip;
    const ops = heads * B * Math.ceil(S / sa) ** 2 * Math.ceil(D / sa);
    const mult = Math.ceil((sa / 128) * 16);
    const mxuT = (x: number) => Math.max(Math.ceil(((sa / 128) * 100) / f), Math.ceil(((x + 2) * sa) / nsa / f), 1);
    const vpuT = (x: number) => Math.max(1, Math.trunc(Math.ceil(x / nvu) / f));
    this.mxu = 2 * mxuT(ops);
    this.vpu = 2 * vpuT(ops * mult) + vpuT(Math.ceil((4 * B * heads * S * S) / 1024));
    const total = 2 * (B * S * heads * D * 4 + B * S * S * heads * D);
    const vmemBytes = this.chip.vmem_size_MB * 1024 * 1024;
    if (total <= vmemBytes) {
      this.bytes = total;
      return;
    }
    const br = sa;
    const bc = Math.max(sa, Math.min(S, Math.floor((vmemBytes / 2 - br * D) / (2 * (br + D)))));
    this.bytes = 2 * B * heads * (2 * S * D + 2 * Math.ceil(S / bc) * S * D);
  }

  private elementwiseVpuNs(opsPerElem: number, elems: number): number {
    const cycles = Math.ceil((opsPerElem * elems) / (this.chip.num_vu * VU_ELEMS_PER_CYCLE));
    return Math.ceil(cycles / this.chip.freq_GHz);
  }

  /** MXU and VPU ns of a matmul (into this.mxu, this.vpu), with NeuSim's small-matmul fallback to the vector units. */
  private matmulCompute(b: number, m: number, n: number, k: number): void {
    const { sa_dim: sa, num_sa: nsa, num_vu: nvu, freq_GHz: f } = this.chip;
    const mxuOps = b * (Math.ceil(m / sa) * Math.ceil(n / sa) * Math.ceil(k / sa));
    const pipelineII = (sa / 128) * 100;
    const mxu = Math.max(Math.ceil(pipelineII / f), Math.ceil(((mxuOps + 2) * sa) / nsa / f), 1);
    const vuMultiplier = Math.ceil((sa / 128) * 8 * 2);
    const vpu = Math.max(1, Math.trunc(Math.ceil((mxuOps * vuMultiplier) / nvu) / f));
    this.mxu = mxu;
    this.vpu = vpu;
    if (!this.chip.use_vu_for_small_matmul) return;
    const vuOps = b * Math.min(
      Math.ceil(m / 8) * Math.ceil(n / 128) * Math.ceil(k / 8),
      Math.ceil(m / 128) * Math.ceil(n / 8) * Math.ceil(k / 8),
      Math.ceil(m / 8) * Math.ceil(n / 8) * Math.ceil(k / 128),
    ) * 2;
    const vpuOnly = Math.max(1, Math.trunc(Math.ceil(vuOps / nvu) / f));
    if (Math.max(mxu, vpu) > 4 * vpuOnly) {
      this.mxu = 0;
      this.vpu = vpuOnly;
    }
  }

  /** HBM bytes of a matmul: whole tensors when they fit in VMEM, else the best tiling's traffic. */
  private matmulBytes(b: number, m: number, n: number, k: number, lhsBytes: number, rhsBytes: number, outBytes: number): number {
    const total = b * (m * k * lhsBytes + k * n * rhsBytes + m * n * outBytes);
    const vmemBytes = this.chip.vmem_size_MB * 1024 * 1024;
    if (total <= vmemBytes) return total;
    // Traffic is b x (traffic of one batch element), and the best tile does not depend on b.
    const key = this.tileKey;
    key[0] = m;
    key[1] = n;
    key[2] = k * 64 + lhsBytes * 16 + rhsBytes * 4 + outBytes; // dtype sizes are 1, 2 or 4
    const memo = this.tileMemo;
    const at = memo.rowOf(key);
    if (at >= 0) return b * memo.rows[at];
    const perBatch = bestTile({ b: 1, m, n, k, lhsBytes, rhsBytes, outBytes, saDim: this.chip.sa_dim, vmemBytes }).hbmBytes;
    const row = memo.rowFor(key); // before reading memo.rows: adding a row may grow it
    memo.rows[row] = perBatch;
    return b * perBatch;
  }

  private memoryNs(bytes: number): number {
    return bytes === 0 ? 0 : Math.max(Math.ceil(bytes / this.hbmGiBPerNs), this.chip.hbm_latency_ns);
  }

  private vmemNs(opClass: OpClass, mxu: number, vpu: number, memory: number): number {
    if (opClass === "MXU") return (mxu * this.saBwGBps + memory * this.chip.hbm_bw_GBps) / this.vmemBwGBps;
    if (opClass === "VPU") return (vpu * this.vpuBwGBps + memory * this.chip.hbm_bw_GBps) / this.vmemBwGBps;
    return 0;
  }

  /** Execution time: the slowest of compute, ICI, memory and VMEM, truncated as NeuSim does. */
  private execOf(opClass: OpClass, mxu: number, vpu: number, bytes: number, ici: number): number {
    const memory = this.memoryNs(bytes);
    return Math.trunc(Math.max(Math.max(mxu, vpu), ici, memory, this.vmemNs(opClass, mxu, vpu, memory)));
  }

  private finish(opClass: OpClass, mxu: number, vpu: number, bytes: number, ici: number): OpTiming {
    const compute = Math.max(mxu, vpu);
    const memory = this.memoryNs(bytes);
    const vmem = this.vmemNs(opClass, mxu, vpu, memory);
    const exec = Math.max(compute, ici, memory, vmem);
    let bounded_by: BoundedBy;
    if (compute === exec) bounded_by = "Compute";
    else if (memory === exec) bounded_by = "Memory";
    else if (vmem === exec) bounded_by = "Compute";
    else bounded_by = "ICI/NVLink";
    return {
      execution_time_ns: Math.trunc(exec),
      compute_time_ns: compute,
      memory_time_ns: memory,
      ici_time_ns: ici,
      mxu_time_ns: mxu,
      vpu_time_ns: vpu,
      vmem_time_ns: Math.trunc(vmem),
      bytes_accessed: bytes,
      bounded_by,
    };
  }
}

const backends = new Map<string, TimingBackend>();

/**
 * Backends kept at once. Each holds caches of up to about 12 MB, so a sweep over
 * many chip variants (an hbm_bw_GBps axis of 60 values, say) would otherwise keep
 * them all and run a worker out of memory; the least recently created goes first.
 */
const MAX_BACKENDS = 4;

/** The last backend handed out: a sweep's consecutive points usually share the chip. */
let last: TimingBackend | undefined;

/** Every chip parameter equal: compiled to direct field reads (this runs once or twice per point). */
const sameChipParams = new Function("a", "b", `return ${CHIP_PARAM_NAMES.map((n) => `a.${n} === b.${n}`).join(" && ")};`) as (a: ChipParams, b: ChipParams) => boolean;

/** One backend (and memo) per distinct set of chip parameters. */
export function backendFor(chip: ChipParams): TimingBackend {
  if (last && sameChipParams(last.chip, chip)) return last;
  last = backendForKey(chip);
  return last;
}

/** Backends alive now (at most MAX_BACKENDS). */
export function backendCount(): number {
  return backends.size;
}

function backendForKey(chip: ChipParams): TimingBackend {
  const key = chipParamsKey(chip);
  let be = backends.get(key);
  if (!be) {
    if (backends.size >= MAX_BACKENDS) backends.delete(backends.keys().next().value!);
    be = new TimingBackend(chip);
    backends.set(key, be);
  }
  return be;
}
