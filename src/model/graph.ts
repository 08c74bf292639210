/**
 * One device's operator list for a phase of DeepSeek inference, following
 * NeuSim's DeepSeekOpsGenerator: input RMSNorm, multi-head latent attention,
 * then the MoE FFN with the routed experts replaced by the busiest device's hot
 * and remaining expert blocks (the seed change). Every layer is costed as an MoE
 * layer, as NeuSim does. With pipeline parallelism the list is one stage's, between
 * the transfers from the previous stage and to the next. Pure.
 */
import type { MoeConfig } from "./config.js";
import type { Routing as Imbalance } from "./routing/route.js";
import type { Parallelism } from "./parallelism.js";
import { allGatherOp, allToAllOp, pipelineTransferOp, reduceScatterOp, type IciLink, type OpContext } from "./ops/builders.js";
import { GROUP_FFN, GROUP_MLA_ATTENTION, GROUP_MOE_INPUT, GROUP_MOE_OUTPUT, OpListSink, type OpSink } from "./ops/sink.js";
import { emitDenseFfn, emitLlamaPhase } from "./graph-llama.js";
import { blockIndex, type Block, type Op } from "./ops/op.js";
import { product } from "./numeric.js";

/** Fusion index NeuSim gives the first prefill operator. */
const FIRST_FUSION_INDEX = 2;
const FUSION_PLACEHOLDER = "{fusion}";

export interface PhaseShape {
  isDecode: boolean;
  /** Tokens per request this step: input_seqlen (prefill) or decode_width. */
  seqlen: number;
  /** Times each operator runs: the stage's layers, or layers x output tokens. */
  count: number;
  /**
   * Times each attention operator runs. NeuSim quirk: the MLA operators count
   * every layer of the model, not the stage's (equal to `count` when pp = 1).
   */
  attentionCount: number;
  /** Times the pipeline transfers run: once per phase step (1, or output tokens). */
  stepCount: number;
}

export function phaseShape(c: MoeConfig, p: Parallelism): PhaseShape {
  const isDecode = c.phase === "decode";
  const steps = isDecode ? c.output_seqlen : 1;
  return {
    isDecode,
    seqlen: isDecode ? c.decode_width : c.input_seqlen,
    count: p.layersPerStage * steps,
    attentionCount: c.num_layers * steps,
    stepCount: steps,
  };
}

/** Emit one phase's operators, in NeuSim's order, to a sink. */
export function emitPhase(sink: OpSink, c: MoeConfig, p: Parallelism, ph: PhaseShape, imb: Imbalance): void {
  const split = stageLayerSplit(c, p);
  const moePh: PhaseShape = { isDecode: ph.isDecode, seqlen: ph.seqlen, count: split.moe * ph.stepCount, attentionCount: ph.attentionCount, stepCount: ph.stepCount };
  // The FFN of the stage's layers: MoE layers, then the dense ones (a model with dense layers).
  const ffn = () => {
    if (split.moe > 0) pushMoeFfn(sink, c, p, moePh, imb);
    if (split.dense > 0) emitDenseFfn(sink, c, p, ph, split.dense * ph.stepCount);
  };
  if (c.attention_type === "mha") {
    emitLlamaPhase(sink, c, p, ph, c.ffn_type === "llama" ? undefined : ffn);
    return;
  }
  const B = p.localBatch, S = ph.seqlen;
  // A stage's input and output: the microbatch at the TP-sharded width.
  const stageWidth = Math.ceil(c.d_model / c.tensor_parallelism_degree);
  const pipelined = c.pipeline_parallelism_degree > 1;
  const phaseName = ph.isDecode ? "Decode" : "Prefill";
  if (pipelined) {
    sink.op(pipelineTransferOp(`${phaseName}ReceiveInputFromPipelineICI`, [B, S, stageWidth], "Input", c, { count: ph.stepCount, block: "pipeline_ici" }));
  }
  // Keys attended to: the prompt in prefill, prompt + generated tokens in decode.
  // Attention depends on none of the MoE or imbalance fields: one cached group per shape.
  const T = ph.isDecode ? c.input_seqlen + c.output_seqlen : c.input_seqlen;
  const attentionKey = [
    GROUP_MLA_ATTENTION, B, S, T, ph.count, ph.attentionCount, c.tensor_parallelism_degree, c.d_model, c.num_heads, c.q_lora_rank, c.kv_lora_rank,
    c.qk_nope_head_dim, c.qk_rope_head_dim, c.v_head_dim, c.ici_bw_GBps, c.ici_latency_ns, p.tensorParallelAxes.length, ...p.tensorParallelAxes,
  ];
  sink.group(attentionKey, () => {
    sink.unary(
      ph.isDecode ? "Attention-serving-decode-Input_rmsnorm" : "Fwd-Attention-encoder-Input_rmsnorm",
      "RMSNorm", [B, S, stageWidth], "DT_BFLOAT16", { count: ph.count, block: "attention" },
    );
    pushLatentAttention(sink, c, p, ph, T, { count: ph.attentionCount, block: "attention" });
  });
  ffn();
  if (pipelined) {
    sink.op(pipelineTransferOp(`${phaseName}SendOutputToPipelineICI`, [B, S, stageWidth], "Output", c, { count: ph.stepCount, block: "pipeline_ici" }));
  }
}

/**
 * MoE and dense layers of the busiest stage: layer l is MoE when l >= first_k_dense_layers
 * and (l - first_k) is the last of every moe_layer_interval; a Llama model is all dense.
 * Stages hold ceil(L / pp) layers; the one with the most MoE layers is costed.
 * (NeuSim's DeepSeek entries: first_k 0, interval 1, so every layer is MoE, as NeuSim costs them.)
 */
export function stageLayerSplit(c: MoeConfig, p: Parallelism): { moe: number; dense: number } {
  const Ls = p.layersPerStage;
  if (c.ffn_type === "llama") return { moe: 0, dense: Ls };
  const k = c.first_k_dense_layers, n = c.moe_layer_interval;
  if (k === 0 && n === 1) return { moe: Ls, dense: 0 };
  const isMoe = (l: number) => l >= k && (l - k) % n === n - 1;
  let best = { moe: -1, dense: 0 };
  for (let s = 0; s * Ls < c.num_layers; s++) {
    let moe = 0;
    for (let l = s * Ls; l < (s + 1) * Ls; l++) if (l < c.num_layers ? isMoe(l) : false) moe++;
    if (moe > best.moe) best = { moe, dense: Ls - moe };
  }
  return best;
}

/** One phase's operators as NeuSim-style objects, with NeuSim's fusion indices. */
export function buildPhaseOps(c: MoeConfig, p: Parallelism, ph: PhaseShape, imb: Imbalance): Op[] {
  return buildPhase(c, p, ph, imb).ops;
}

/** The operators and their groups' [start, end) ranges. */
export function buildPhase(c: MoeConfig, p: Parallelism, ph: PhaseShape, imb: Imbalance): { ops: Op[]; groups: [number, number][] } {
  const sink = new OpListSink();
  emitPhase(sink, c, p, ph, imb);
  const ops = sink.ops;
  if (c.attention_type === "mha" && c.ffn_type === "llama") return { ops, groups: sink.groups }; // NeuSim's Llama graph sets its own fusion ids
  // Decode fusion indices continue after prefill's, whose graph has the same length.
  const base = FIRST_FUSION_INDEX + (ph.isDecode ? ops.length : 0);
  ops.forEach((op, i) => {
    op.fusion_index = base + i;
    if (op.description.includes(FUSION_PLACEHOLDER)) op.description = op.description.replace(FUSION_PLACEHOLDER, String(op.fusion_index));
  });
  return { ops, groups: sink.groups };
}

/** NeuSim's create_multi_head_latent_attention, shapes and quirks included. */
function pushLatentAttention(sink: OpSink, c: MoeConfig, p: Parallelism, ph: PhaseShape, T: number, ctx: OpContext): void {
  const pre = ph.isDecode ? "Attention-serving-decode-Attention-serving-decode-" : "Fwd-Attention-encoder-Attention-serving-prefill-";
  const axes = p.tensorParallelAxes;
  const tpDegree = product(axes);
  const H = Math.ceil(c.num_heads / tpDegree);
  const B = p.localBatch, S = ph.seqlen;
  let dModel = c.d_model;
  const qkHeadDim = c.qk_nope_head_dim + c.qk_rope_head_dim;
  const hT = [B, S, c.d_model];
  const kvShape = [B, S, c.kv_lora_rank];
  const kPeShape = [B, S, c.qk_rope_head_dim];
  const qPeShape = [B, S, H, c.qk_rope_head_dim];
  const link: IciLink = c;

  if (tpDegree > 1) {
    const ag = allGatherOp(`AllGatherMHA-${FUSION_PLACEHOLDER}`, [B, S, dModel], axes, 2, "DT_BFLOAT16", link, ctx);
    dModel = ag.output[2]; // NeuSim carries the gathered width into the later RS / RMSNorm shapes.
    sink.op(ag.op);
  }
  sink.einsum(`${pre}q_wq_a_linear`, hT, [c.d_model, c.q_lora_rank], "BSM;MD->BSD", "DT_BFLOAT16", ctx);
  sink.unary(`${pre}q_norm`, "RMSNorm", [B, S, c.q_lora_rank], "DT_FLOAT32", ctx);
  sink.einsum(`${pre}q_wq_b_linear`, [B, S, c.q_lora_rank], [c.q_lora_rank, qkHeadDim * H], "BSR;RD->BSD", "DT_BFLOAT16", ctx);
  sink.binary(`${pre}apply_rotary_emb`, "Mul", qPeShape, "DT_FLOAT32", ctx);
  sink.einsum(`${pre}kv_k_pe_linear`, hT, [c.d_model, c.kv_lora_rank + c.qk_rope_head_dim], "BSM;MK->BSK", "DT_BFLOAT16", ctx);
  sink.binary(`${pre}apply_rotary_emb`, "Mul", kPeShape, "DT_FLOAT32", ctx);
  if (tpDegree > 1) {
    sink.op(allGatherOp(`AllGatherKV-${FUSION_PLACEHOLDER}`, kvShape, axes, 1, "DT_FLOAT8", link, ctx).op);
    sink.op(allGatherOp(`AllGatherK_PE-${FUSION_PLACEHOLDER}`, kPeShape, axes, 1, "DT_FLOAT32", link, ctx).op);
  }
  sink.einsum(`${pre}q_nope_wkv_b_linear`, [B, S, H, c.qk_nope_head_dim], [H, c.qk_nope_head_dim, c.kv_lora_rank], "BSHD;HDC->BSHC", "DT_BFLOAT16", ctx);
  sink.unary(`${pre}kv_norm`, "RMSNorm", kvShape, "DT_FLOAT32", ctx);
  sink.einsum(`${pre}q_nope_kv_cache_einsum`, [B, S, H, c.kv_lora_rank], [B, T, c.kv_lora_rank], "BSHC;BTC->BSHT", "DT_BFLOAT16", ctx);
  sink.einsum(`${pre}q_pe_pe_einsum`, qPeShape, [B, T, c.qk_rope_head_dim], "BSHR;BTR->BSHT", "DT_BFLOAT16", ctx);
  sink.einsum(`${pre}scores_kv_cache_einsum`, [B, S, H, T], [B, T, c.kv_lora_rank], "BSHT;BTC->BSHC", "DT_BFLOAT16", ctx);
  sink.einsum(`${pre}x_wkv_b_linear`, [B, S, H, c.kv_lora_rank], [H, c.v_head_dim, c.kv_lora_rank], "BSHC;HDC->BSHD", "DT_BFLOAT16", ctx);
  sink.einsum(`${pre}x_wo_linear`, [B, S, H * c.v_head_dim], [H * c.v_head_dim, c.d_model], "BSD;DM->BSM", "DT_BFLOAT16", ctx);
  let rsOut: number[] | undefined;
  if (tpDegree > 1) {
    const rs = reduceScatterOp("Reduce attention and scatter before RMSNorm", [B, S, dModel], axes, 2, link, ctx);
    rsOut = rs.output;
    sink.op(rs.op);
  }
  sink.unary(`${pre}Attention_RMSNorm`, "RMSNorm", [B, S, dModel], "DT_BFLOAT16", ctx);
  if (rsOut) sink.op(allGatherOp(`AllGatherMHA-${FUSION_PLACEHOLDER}`, rsOut, axes, 2, "DT_BFLOAT16", link, ctx).op);
}

/** The MoE FFN operators' description prefix, by phase (NeuSim's names). */
const ffnPrefix = (isDecode: boolean) => (isDecode ? "Fwd-FFN-serving-decoder-" : "Fwd-FFN-encoder-");

/** The routed experts' description prefixes: most_loaded, remaining, remaining_2, ... (made once each). */
const routedExpertPrefixes: string[] = [];
function routedExpertPrefix(i: number, isDecode: boolean): string {
  const at = 2 * i + (isDecode ? 1 : 0);
  let prefix = routedExpertPrefixes[at];
  if (prefix === undefined) {
    const name = i === 0 ? "most_loaded" : i === 1 ? "remaining" : `remaining_${i}`;
    prefix = routedExpertPrefixes[at] = `FFN_routed_expert_${name}-${ffnPrefix(isDecode)}`;
  }
  return prefix;
}

/** The MoE all-to-all of one direction. NeuSim sizes the exchange by the global batch and names both directions "Dispatch". */
function allToAll(c: MoeConfig, p: Parallelism, imb: Imbalance, S: number, ctx: OpContext): Op {
  return allToAllOp(
    "MoE_Dispatch_AllToAll", [c.global_batch_size, S, c.num_limited_groups, c.d_model], "DT_FLOAT8", p.bisectionGBps,
    c.expert_parallelism_degree, imb.receiver_skew, c.ici_latency_ns, ctx,
  );
}

/** NeuSim's create_ffn_matmul_llama: gate, up, gate*up, down (SwiGLU), b x s rows. */
function pushGatedFfn(sink: OpSink, prefix: string, b: number, s: number, dModel: number, dFf: number, ctx: OpContext): void {
  // Timed for one run and scaled by the count (the experts' count varies with W; their rows repeat).
  const block = ctx.block;
  sink.group([GROUP_FFN, b, s, dModel, dFf, blockIndex(block)], (count) => emitGatedFfn(sink, prefix, b, s, dModel, dFf, { count, block }), ctx.count);
}

function emitGatedFfn(sink: OpSink, prefix: string, b: number, s: number, dModel: number, dFf: number, ctx: OpContext): void {
  sink.einsum(`${prefix}FFgate`, [b, s, dModel], [dModel, dFf], "BLM;MH->BLH", "DT_BFLOAT16", ctx);
  sink.einsum(`${prefix}FFup`, [b, s, dModel], [dModel, dFf], "BLM;MH->BLH", "DT_BFLOAT16", ctx);
  sink.binary(`${prefix}FFgate_up`, "Mul", [b, s, dFf], "DT_BFLOAT16", ctx);
  sink.einsum(`${prefix}FFoutput`, [b, s, dFf], [dFf, dModel], "BLH;HM->BLM", "DT_BFLOAT16", ctx);
}

/** NeuSim's create_ffn + create_ffn_deepseek_moe, with the seed change's busiest-device experts. */
function pushMoeFfn(sink: OpSink, c: MoeConfig, p: Parallelism, ph: PhaseShape, imb: Imbalance): void {
  const ctx = (block: Block): OpContext => ({ count: ph.count, block });
  const axes = p.expertTensorParallelAxes;
  const etpDegree = product(axes);
  const dFf = Math.ceil(c.moe_d_ff / etpDegree);
  const B = p.localBatch, S = ph.seqlen, D = c.d_model;
  const E = c.num_routed_experts, K = c.num_activated_routed_experts_per_token;
  const EP = c.expert_parallelism_degree;
  const link: IciLink = c;
  // Around the routed experts and the all-to-alls (timed per point), the layer depends on none of
  // the imbalance fields: a cached group before them and one after, like attention.
  // One key for both (its tag set before each): a sink reads a key only while group() runs.
  const layerKey = [GROUP_MOE_INPUT, B, S, D, K, E, dFf, c.num_shared_experts, ph.count, c.ici_bw_GBps, c.ici_latency_ns, axes.length, ...axes];

  sink.group(layerKey, () => {
    if (etpDegree > 1) {
      sink.op(allGatherOp("All gather input of MLP before ffn", [B, D], axes, 1, "DT_BFLOAT16", link, ctx("ffn_tp_collective")).op);
    }
    sink.einsum("FFN_MoE_gate-scores", [B, S, D], [E, D], "BSM;RM->BSR", "DT_BFLOAT16", ctx("router"));
    sink.unary("FFN_MoE_gate-scores_softmax", "Softmax", [B, S, E], "DT_FLOAT32", ctx("router"));
  });
  if (EP > 1) sink.op(allToAll(c, p, imb, S, ctx("dispatch_all_to_all")));
  // The busiest device's experts, a block per class of equal rows: the worst case has two (hot, remaining).
  const classes = imb.expert_classes;
  for (let i = 0; i < classes.length; i++) {
    const { rows, experts } = classes[i];
    // Matmul rows as [batch, rows / batch] when the batch divides them (NeuSim's shape), else [1, rows].
    const b = rows % B === 0 ? B : 1;
    pushGatedFfn(sink, routedExpertPrefix(i, ph.isDecode), b, rows / b, D, dFf,
      { count: ph.count * experts, block: i === 0 ? "hot_experts" : "remaining_experts" });
  }
  if (EP > 1) sink.op(allToAll(c, p, imb, S, ctx("combine_all_to_all")));
  layerKey[0] = GROUP_MOE_OUTPUT;
  sink.group(layerKey, () => {
    if (c.num_shared_experts > 0) {
      emitGatedFfn(sink, `FFN_shared_expert-${ffnPrefix(ph.isDecode)}`, B, S, D, dFf * c.num_shared_experts, ctx("shared_experts"));
    }
    sink.einsum("MoE_combine_weights", [B, S, K, D], [B, S, K], "BSEM;BSE->BSM", "DT_BFLOAT16", ctx("combine"));
    sink.binary("MoE_combine_output", "Add", [B, S, D], "DT_BFLOAT16", ctx("combine"));
    let residual = [B, S, D];
    if (etpDegree > 1) {
      const rs = reduceScatterOp("Reduce and scatter results of MLP before residual", [B, S, D], axes, 2, link, ctx("ffn_tp_collective"));
      residual = rs.output;
      sink.op(rs.op);
    }
    sink.binary(`${ph.isDecode ? "FFN-serving-decoder-" : "Fwd-FFN-encoder-"}AttnPlusFFn`, "Add", residual, "DT_BFLOAT16", ctx("residual"));
  });
}
