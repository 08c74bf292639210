/**
 * The exhaustive O(|M||N||K|) tile search, a literal reading of NeuSim's
 * find_best_tile_shape_for_matmul: the oracle the fast search is checked against.
 */
import { factors, type TileChoice, type TileProblem } from "../../src/model/timing/tile-search.js";

/** NeuSim's "enough MXU ops to hide HBM latency" threshold, lowered until a tile qualifies. */
const MXU_OPS_TO_HIDE_HBM_LATENCY = 10;

/**
 * Minimum-traffic tiling. NeuSim sorts candidates by (traffic asc, MXU ops desc,
 * tile bytes asc) and takes the last of equals in loop order (M, N, K ascending);
 * its compute-time key is 0 at this point, so it does not take part.
 */
export function bestTileExhaustive(p: TileProblem): TileChoice {
  const { b, m, n, k, lhsBytes, rhsBytes, outBytes, saDim, vmemBytes } = p;
  const fm = factors(m), fn = factors(n), fk = factors(k);
  const mn = m * n;
  const kmn = mn * k;
  for (let bound = MXU_OPS_TO_HIDE_HBM_LATENCY; bound >= 1; bound--) {
    let best: TileChoice | undefined;
    let bestTileBytes = 0;
    for (const M of fm) {
      const mTiles = Math.ceil(M / saDim);
      const rhsTraffic = Math.ceil(kmn / M) * rhsBytes;
      for (const N of fn) {
        const mnTiles = mTiles * Math.ceil(N / saDim);
        const base = M * N * outBytes;
        const traffic = b * (mn * outBytes + Math.ceil(kmn / N) * lhsBytes + rhsTraffic);
        for (const K of fk) {
          const tileBytes = base + M * K * lhsBytes + K * N * rhsBytes;
          if (tileBytes > vmemBytes) break; // grows with K
          const ops = Math.max(3, mnTiles * Math.ceil(K / saDim));
          if (ops <= bound) continue;
          if (
            best === undefined ||
            traffic < best.hbmBytes ||
            (traffic === best.hbmBytes && (ops > best.mxuOps || (ops === best.mxuOps && tileBytes <= bestTileBytes)))
          ) {
            best = { M, N, K, mxuOps: ops, hbmBytes: traffic };
            bestTileBytes = tileBytes;
          }
        }
      }
    }
    if (best) return best;
  }
  throw new Error(`no tile of ${m}x${n}x${k} fits in ${vmemBytes} bytes of VMEM`);
}
