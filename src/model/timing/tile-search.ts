/**
 * HBM traffic of a matmul that does not fit in VMEM: NeuSim's tile search
 * (npusim_lib.find_best_tile_shape_for_matmul). Pure; memoized by shape.
 */
import { primeFactors } from "../numeric.js";

export interface TileProblem {
  b: number; m: number; n: number; k: number;
  lhsBytes: number; rhsBytes: number; outBytes: number;
  saDim: number; vmemBytes: number;
}

export interface TileChoice {
  M: number; N: number; K: number;
  mxuOps: number;
  /** HBM bytes of the whole op with this tiling. */
  hbmBytes: number;
}

/**
 * Divisor lists by n. Kept small (each list is a JS array, and a worker's memory is the
 * point): a miss costs a factorization, which is quick for matmul sizes (mostly small
 * primes); the tile memo in front of this already caches each whole search.
 */
const FACTOR_CACHE_ENTRIES = 1024;
const factorCache = new Map<number, number[]>();

/** All divisors of n, ascending. */
export function factors(n: number): number[] {
  let f = factorCache.get(n);
  if (f) return f;
  f = Number.isSafeInteger(n) && n >= 1 ? divisorsOf(n) : scanDivisors(n);
  if (factorCache.size >= FACTOR_CACHE_ENTRIES) factorCache.clear();
  factorCache.set(n, f);
  return f;
}

/** NeuSim's scan: each i up to sqrt(n) that divides n, and its cofactor (kept for what is not a positive safe integer: no divisors, or sizes beyond 2^53, never met). */
function scanDivisors(n: number): number[] {
  const low: number[] = [];
  const high: number[] = [];
  for (let i = 1; i * i <= n; i++) {
    if (n % i === 0) {
      low.push(i);
      if (i !== n / i) high.push(n / i);
    }
  }
  return low.concat(high.reverse());
}

/**
 * Divisors from the prime factorization: each prime power multiplies the divisors so far.
 * Matmul sizes are made of small primes (7168 = 2^10 x 7), so factoring takes a few steps
 * where the scan takes sqrt(n).
 */
function divisorsOf(n: number): number[] {
  const divs = [1];
  const primes = primeFactors(n);
  for (let i = 0; i < primes.length;) {
    const p = primes[i], len = divs.length;
    let power = 1;
    for (; primes[i] === p; i++) {
      power *= p;
      for (let j = 0; j < len; j++) divs.push(divs[j] * power);
    }
  }
  return divs.sort((a, b) => a - b);
}

/** NeuSim's "enough MXU ops to hide HBM latency" threshold, lowered until a tile qualifies. */
const MXU_OPS_TO_HIDE_HBM_LATENCY = 10;

/** Index of the last element <= x in ascending xs, or -1. */
function lastAtMost(xs: readonly number[], x: number): number {
  let lo = 0, hi = xs.length - 1, ans = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] <= x) { ans = mid; lo = mid + 1; } else hi = mid - 1;
  }
  return ans;
}

/** Index of the first element > x in ascending xs (xs.length if none). */
function firstAbove(xs: readonly number[], x: number): number {
  return lastAtMost(xs, x) + 1;
}

/**
 * Minimum-traffic tiling, equal to NeuSim's exhaustive search over every
 * (M, N, K) divisor triple: NeuSim sorts candidates by (traffic asc, MXU ops
 * desc, tile bytes asc) and takes the last of equals in loop order (M, N, K
 * ascending); its compute-time key is 0 at that point. Traffic depends on M and
 * N only, and MXU ops grow with K while tile bytes grow strictly, so for each
 * (M, N) the best K is the smallest one reaching the most MXU ops that fits in
 * VMEM; that turns the O(|M||N||K|) scan into O(|M||N| log |K|).
 * (test/tile-search.test.ts checks it against the exhaustive scan.)
 */
export function bestTile(p: TileProblem): TileChoice {
  return bestTileWithManyOps(p) ?? bestTileFullScan(p);
}

/**
 * Fast path for the usual case, tiles with more than 10 MXU ops. Traffic falls
 * strictly as N grows (N divides n), so for each M the best such tile is the
 * largest fitting N whose best K still has more than 10 ops; NeuSim's order
 * then decides between the per-M winners. Returns undefined when no tile has
 * more than 10 ops, where the threshold drops and the full scan decides.
 */
function bestTileWithManyOps(p: TileProblem): TileChoice | undefined {
  const { b, m, n, k, lhsBytes, rhsBytes, outBytes, saDim, vmemBytes } = p;
  const fm = factors(m), fn = factors(n), fk = factors(k);
  const mn = m * n;
  const kmn = mn * k;
  const kMin = fk[0];
  let best: Cand | undefined;
  for (const M of fm) {
    const mTiles = Math.ceil(M / saDim);
    const rhsTraffic = Math.ceil(kmn / M) * rhsBytes;
    // Largest N whose smallest tile (K = 1) fits: tile bytes grow with N.
    let lo = 0, hi = fn.length - 1, iN = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const N = fn[mid];
      if (M * N * outBytes + kMin * (M * lhsBytes + N * rhsBytes) <= vmemBytes) { iN = mid; lo = mid + 1; } else hi = mid - 1;
    }
    for (let j = iN; j >= 0; j--) {
      const N = fn[j];
      const outTile = M * N * outBytes;
      const perK = M * lhsBytes + N * rhsBytes;
      const kTiles = Math.ceil(fk[lastAtMost(fk, (vmemBytes - outTile) / perK)] / saDim);
      const ops = Math.max(3, mTiles * Math.ceil(N / saDim) * kTiles);
      if (ops <= MXU_OPS_TO_HIDE_HBM_LATENCY) continue;
      const K = fk[firstAbove(fk, (kTiles - 1) * saDim)];
      const traffic = b * (mn * outBytes + Math.ceil(kmn / N) * lhsBytes + rhsTraffic);
      const tileBytes = outTile + K * perK;
      if (better(best, traffic, ops, tileBytes)) best = { M, N, K, ops, tileBytes, traffic };
      break;
    }
  }
  return best && { M: best.M, N: best.N, K: best.K, mxuOps: best.ops, hbmBytes: best.traffic };
}

function bestTileFullScan(p: TileProblem): TileChoice {
  const { b, m, n, k, lhsBytes, rhsBytes, outBytes, saDim, vmemBytes } = p;
  const fm = factors(m), fn = factors(n), fk = factors(k);
  const mn = m * n;
  const kmn = mn * k;
  // NeuSim lowers its threshold (10, 9, ... 1) until some candidate exceeds it: the
  // candidates are those with ops > 10 when any exist, else those with the most ops.
  // Track the best of both groups in one pass, in NeuSim's loop order.
  let high: Cand | undefined;
  let atMax: Cand | undefined;
  let maxOps = 0;
  for (const M of fm) {
    const mTiles = Math.ceil(M / saDim);
    const rhsTraffic = Math.ceil(kmn / M) * rhsBytes;
    for (const N of fn) {
      const outTile = M * N * outBytes;
      const perK = M * lhsBytes + N * rhsBytes;
      const iMax = lastAtMost(fk, (vmemBytes - outTile) / perK);
      if (iMax < 0) break; // larger N only grows the tile
      const mnTiles = mTiles * Math.ceil(N / saDim);
      const kTilesMax = Math.ceil(fk[iMax] / saDim);
      const ops = Math.max(3, mnTiles * kTilesMax);
      // Smallest K with the same op count: any K when the floor of 3 decides, else the same number of K tiles.
      const K = ops === 3 ? fk[0] : fk[firstAbove(fk, (kTilesMax - 1) * saDim)];
      const traffic = b * (mn * outBytes + Math.ceil(kmn / N) * lhsBytes + rhsTraffic);
      const tileBytes = outTile + K * perK;
      if (ops > MXU_OPS_TO_HIDE_HBM_LATENCY && better(high, traffic, ops, tileBytes)) high = { M, N, K, ops, tileBytes, traffic };
      if (ops > maxOps) {
        maxOps = ops;
        atMax = { M, N, K, ops, tileBytes, traffic };
      } else if (ops === maxOps && better(atMax, traffic, ops, tileBytes)) {
        atMax = { M, N, K, ops, tileBytes, traffic };
      }
    }
  }
  const best = high ?? atMax;
  if (!best) throw new Error(`no tile of ${m}x${n}x${k} fits in ${vmemBytes} bytes of VMEM`);
  return { M: best.M, N: best.N, K: best.K, mxuOps: best.ops, hbmBytes: best.traffic };
}

interface Cand { M: number; N: number; K: number; ops: number; tileBytes: number; traffic: number }

/** NeuSim's order: less traffic, then more MXU ops, then a smaller tile; later equals win. */
function better(cur: Cand | undefined, traffic: number, ops: number, tileBytes: number): boolean {
  return cur === undefined || traffic < cur.traffic ||
    (traffic === cur.traffic && (ops > cur.ops || (ops === cur.ops && tileBytes <= cur.tileBytes)));
}
