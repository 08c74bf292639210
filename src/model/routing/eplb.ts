/**
 * DeepSeek's expert-parallelism load balancer (deepseek-ai/EPLB, eplb.py, MIT),
 * ported for one layer: replicate hot experts into redundant slots and place the
 * slots on devices so the busiest device carries as little as possible. Float32
 * arithmetic as in the original (torch float tensors), ties broken by index as
 * torch's sort does on the README example. Pure.
 */
const f32 = Math.fround;

export interface EplbPlan {
  /** Logical expert held by each physical slot; slot s is on device floor(s / slots per device). */
  phy2log: number[];
  /** Replicas of each logical expert. */
  logcnt: number[];
}

/**
 * Pack items into `packs` bins of equal item count, heaviest first, each to the
 * lightest bin with room. Returns each item's bin and its rank in the bin.
 */
export function balancedPacking(weight: readonly number[], packs: number): { pack: number[]; rank: number[] } {
  const n = weight.length;
  const per = n / packs;
  if (per === 1) return { pack: weight.map((_, i) => i), rank: weight.map(() => 0) };
  const order = weight.map((_, i) => i).sort((x, y) => weight[y] - weight[x] || x - y);
  const packWeight = new Array<number>(packs).fill(0);
  const packItems = new Array<number>(packs).fill(0);
  const pack = new Array<number>(n).fill(-1), rank = new Array<number>(n).fill(-1);
  for (const item of order) {
    let best = -1;
    for (let p = 0; p < packs; p++) if (packItems[p] < per && (best < 0 || packWeight[p] < packWeight[best])) best = p;
    pack[item] = best;
    rank[item] = packItems[best];
    packWeight[best] = f32(packWeight[best] + weight[item]);
    packItems[best]++;
  }
  return { pack, rank };
}

/** Give each extra slot to the expert with the most load per replica (first one on ties). */
export function replicateExperts(weight: readonly number[], slots: number): { phy2log: number[]; rank: number[]; logcnt: number[] } {
  const n = weight.length;
  const phy2log = Array.from({ length: slots }, (_, i) => i);
  const rank = new Array<number>(slots).fill(0);
  const logcnt = new Array<number>(n).fill(1);
  for (let i = n; i < slots; i++) {
    let best = 0;
    let bestLoad = f32(weight[0] / logcnt[0]);
    for (let e = 1; e < n; e++) {
      const load = f32(weight[e] / logcnt[e]);
      if (load > bestLoad) { best = e; bestLoad = load; }
    }
    phy2log[i] = best;
    rank[i] = logcnt[best];
    logcnt[best]++;
  }
  return { phy2log, rank, logcnt };
}

const inverse = (perm: readonly number[]) => {
  const inv = new Array<number>(perm.length);
  perm.forEach((v, i) => { inv[v] = i; });
  return inv;
};

/** rebalance_experts_hierarchical for one layer. */
function hierarchical(weight: readonly number[], slots: number, groups: number, nodes: number, devices: number): EplbPlan {
  const N = weight.length;
  const groupSize = N / groups, groupsPerNode = groups / nodes, slotsPerDevice = slots / devices;
  const perNode = N / nodes;
  // 1. Expert groups to nodes.
  const groupLoad = Array.from({ length: groups }, (_, g) => {
    let s = 0;
    for (let j = 0; j < groupSize; j++) s = f32(s + weight[g * groupSize + j]);
    return s;
  });
  const gp = balancedPacking(groupLoad, nodes);
  const log2mlog = new Array<number>(N);
  for (let g = 0; g < groups; g++) for (let j = 0; j < groupSize; j++) log2mlog[g * groupSize + j] = (gp.pack[g] * groupsPerNode + gp.rank[g]) * groupSize + j;
  const mlog2log = inverse(log2mlog);
  const phy2log: number[] = [];
  const mlogcnt: number[] = [];
  for (let node = 0; node < nodes; node++) {
    // 2. Redundant experts within the node.
    const tokens = Array.from({ length: perNode }, (_, j) => weight[mlog2log[node * perNode + j]]);
    const rep = replicateExperts(tokens, slots / nodes);
    mlogcnt.push(...rep.logcnt);
    // 3. The node's slots onto its devices.
    const perSlot = rep.phy2log.map((m) => f32(tokens[m] / rep.logcnt[m]));
    const dp = balancedPacking(perSlot, devices / nodes);
    const phy2pphy = dp.pack.map((p, k) => p * slotsPerDevice + dp.rank[k]);
    const pphy2phy = inverse(phy2pphy);
    for (const k of pphy2phy) phy2log.push(mlog2log[rep.phy2log[k] + node * perNode]);
  }
  return { phy2log, logcnt: log2mlog.map((m) => mlogcnt[m]) };
}

export type EplbPolicy = "hierarchical" | "global" | "auto";

/**
 * rebalance_experts for one layer: `slots` physical experts on `devices`, with
 * `groups` expert groups and `nodes` nodes. "auto" is eplb.py's choice:
 * hierarchical when groups divide evenly over nodes, else global.
 */
export function rebalanceExperts(weight: readonly number[], slots: number, groups: number, nodes: number, devices: number, policy: EplbPolicy = "auto"): EplbPlan {
  const useHierarchical = policy === "hierarchical" || (policy === "auto" && groups % nodes === 0);
  return useHierarchical ? hierarchical(weight.map(f32), slots, groups, nodes, devices) : hierarchical(weight.map(f32), slots, 1, 1, devices);
}

/** Why an EPLB shape cannot be built (eplb.py's assertions), or "" when it can. */
export function eplbShapeError(experts: number, slots: number, groups: number, nodes: number, devices: number, policy: EplbPolicy): string {
  const hier = policy === "hierarchical" || (policy === "auto" && groups % nodes === 0);
  const g = hier ? groups : 1, n = hier ? nodes : 1;
  if (experts % g !== 0) return `num_routed_experts (${experts}) must be a multiple of eplb_groups (${g})`;
  if (g % n !== 0) return `eplb_groups (${g}) must be a multiple of eplb_nodes (${n}) for the hierarchical policy`;
  if (devices % n !== 0) return `expert_parallelism_degree (${devices}) must be a multiple of eplb_nodes (${n})`;
  if (slots % devices !== 0) return `num_routed_experts + num_redundant_experts (${slots}) must be a multiple of expert_parallelism_degree (${devices})`;
  if ((experts / n) > slots / n) return "fewer slots than experts";
  return "";
}
