/**
 * One device's operator list for a phase of a dense Llama model, following
 * NeuSim's LLMOpsGenerator (multi-head attention with FlashAttention in prefill,
 * a KV-cache attention in decode, SwiGLU FFN), quirks included: every attention
 * operator uses the query head count (GQA is not costed), decode attends to the
 * whole S + T cache, and NeuSim's own fusion indices (several operators share
 * one). With pipeline parallelism, counts are the stage's layers. Pure.
 */
import type { MoeConfig } from "./config.js";
import type { Parallelism } from "./parallelism.js";
import type { PhaseShape } from "./graph.js";
import { allGatherOp, flashAttentionOp, pipelineTransferOp, reduceScatterOp, type OpContext } from "./ops/builders.js";
import { GROUP_MHA_ATTENTION, type OpSink } from "./ops/sink.js";
import type { Block } from "./ops/op.js";

const BF16 = "DT_BFLOAT16";

/**
 * `ffn`, when given, emits the FFN part instead of the dense SwiGLU FFN (a MoE
 * model with this attention); it gets the FFN's first fusion id.
 */
export function emitLlamaPhase(sink: OpSink, c: MoeConfig, p: Parallelism, ph: PhaseShape, ffn?: (fusion: number) => void): void {
  const tp = c.tensor_parallelism_degree;
  const axes = p.tensorParallelAxes;
  const t = tp > 1 ? 1 : 0, pp = c.pipeline_parallelism_degree > 1 ? 1 : 0;
  const B = p.localBatch;
  const M = c.d_model, D = c.d_head;
  const Nt = Math.ceil(c.num_heads / tp), Mt = Math.ceil(M / tp), Ft = Math.ceil(c.d_ff / tp);
  const Mg = Mt * tp;
  // K/V heads of the operators: NeuSim's query heads, or the KV heads with gqa_in_operators
  // (G query heads share one KV head; the attention einsums then carry [KV, G] for the query heads).
  const gqa = c.gqa_in_operators && c.num_kv_heads < c.num_heads;
  const KVt = gqa ? Math.ceil(c.num_kv_heads / tp) : Nt;
  const G = Math.ceil(Nt / KVt);
  const at = (fusion: number, block: Block = "attention", count = ph.count): OpContext => ({ count, block, fusion });
  // The attention ops depend only on these numbers (and the chip): one cached group per shape in sweeps.
  const attentionKey = (S: number) => [
    GROUP_MHA_ATTENTION, ph.isDecode ? 1 : 0, B, S, c.output_seqlen, c.decode_width, ph.count, tp, M, Nt, D, KVt, G, gqa ? 1 : 0,
    c.ici_bw_GBps, c.ici_latency_ns, axes.length, ...axes,
  ];

  if (!ph.isDecode) {
    const S = c.input_seqlen;
    const fs = 7 + pp + 2 * t;
    if (pp) sink.op(pipelineTransferOp("PrefillReceiveInputFromPipelineICI", [B, S, Mt], "Input", c, at(2, "pipeline_ici", ph.stepCount)));
    sink.group(attentionKey(S), () => {
    sink.unary("Fwd-Attention-encoder-Input_layernorm", "LayerNorm", [B, S, Mt], BF16, at(2 + pp));
    if (t) sink.op(allGatherOp("Concatenate dims before attn", [B, S, Mt], axes, 2, BF16, c, at(3 + pp)).op);
    const qkv = 3 + pp + t;
    sink.einsum(`-Q-${qkv}`, [B, S, Mg], [Mg, Nt, D], "BLM;MND->BLND", BF16, at(qkv));
    sink.einsum(`-K-${qkv}`, [B, S, M], [M, KVt, D], "BLM;MND->BLND", BF16, at(qkv));
    sink.einsum(`-V-${qkv}`, [B, S, M], [M, KVt, D], "BLM;MND->BLND", BF16, at(qkv));
    sink.op(flashAttentionOp(`-FlashAttention-${4 + pp + t}`, [B, S, Nt, D], at(4 + pp + t)));
    sink.einsum(`-Attention_output-${5 + pp + t}`, [B, S, Nt, D], [Nt, D, Mg], "BLND;NDM->BLM", BF16, at(5 + pp + t));
    if (t) sink.op(reduceScatterOp("Reduce and split attention results", [B, S, Mg], axes, 2, c, at(6 + pp + t)).op);
    sink.unary(`-Attention_layernorm-${6 + pp + 2 * t}`, "LayerNorm", [B, S, Mt], BF16, at(6 + pp + 2 * t));
    if (t) sink.op(allGatherOp("Gather results after Layernorm", [B, S, Mt], axes, 2, BF16, c, at(6 + pp + 2 * t)).op);
    });
    if (ffn) ffn(fs);
    else emitFfn(sink, "Fwd-FFN-encoder-", "Fwd-FFN-encoder-AttnPlusFFn", [B, S], M, Mt, Ft, axes, t, fs, c, ph.count);
    if (pp) sink.op(pipelineTransferOp("PrefillSendOutputToPipelineICI", [B, S, Mt], "Output", c, at(fs, "pipeline_ici", ph.stepCount)));
    return;
  }

  const S = c.input_seqlen, T = c.output_seqlen, w = c.decode_width;
  const d0 = pp ? 9 + 2 * t : 12 + 4 * t;
  const fd = d0 + pp + 5 + 3 * t;
  const pre = "Attention-serving-decode-";
  if (pp) sink.op(pipelineTransferOp("DecodeReceiveInputFromPipelineICI", [B, w, Mt], "Input", c, at(d0, "pipeline_ici", ph.stepCount)));
  sink.group(attentionKey(S), () => {
  sink.unary(`${pre}Input_layernorm`, "LayerNorm", [B, w, Mt], BF16, at(d0 + pp));
  if (t) sink.op(allGatherOp(`AllGatherMHA-${d0 + pp + 1}`, [B, w, Mt], axes, 2, BF16, c, at(d0 + pp + 1)).op);
  const qkv = d0 + pp + 1 + t;
  sink.einsum(`${pre}Q/K/V`, [B, w, Mg], [Mg, Nt, D], "BLM;MND->BLND", BF16, at(qkv));
  sink.einsum(`${pre}Q/K/V`, [B, w, Mg], [2, Mg, KVt, D], "BLM;TMND->BTLND", BF16, at(qkv));
  // Attention over the whole cache at every step: the prompt (prefix) and the generated tokens (suffix).
  const att = at(d0 + pp + 2 + t);
  const sm = `${pre}Softmax(Q*K)*V`;
  // With gqa the query heads are grouped under their KV head ([KVt, G] for Nt), so the cache is read for KV heads only.
  const q = gqa ? [B, w, KVt, G, D] : [B, w, Nt, D];
  const qk = gqa ? "BLNGD;BSND->BLSNG" : "BLND;BSND->BLSN";
  const scores = (n: number) => (gqa ? [B, w, n, KVt, G] : [B, w, n, Nt]);
  const av = gqa ? "BLSNG;BSND->BLNGD" : "BLSN;BSND->BLND";
  sink.einsum(sm, q, [B, S, KVt, D], qk, BF16, att);
  sink.einsum(sm, q, [B, T, KVt, D], qk, BF16, att);
  sink.unary(sm, "Softmax", [B, w, S + T, Nt], BF16, att);
  sink.einsum(sm, scores(S), [B, S, KVt, D], av, BF16, att);
  sink.einsum(sm, scores(T), [B, T, KVt, D], av, BF16, att);
  sink.binary(sm, "Add", [B, w, Nt, D], BF16, att);
  sink.einsum(`${pre}Attention_output`, [B, w, Nt, D], [Nt, D, Mg], "BLND;NDM->BLM", BF16, at(d0 + pp + 3 + t));
  if (t) sink.op(reduceScatterOp("Reduce attention and scatter before LN", [B, w, Mg], axes, 2, c, at(d0 + pp + 4 + t)).op);
  sink.unary(`${pre}Attention_layernorm`, "LayerNorm", [B, w, Mg], BF16, at(d0 + pp + 4 + 2 * t)); // NeuSim: full width here
  if (t) sink.op(allGatherOp(`AllGatherMHA-${d0 + pp + 5 + 2 * t}`, [B, w, Mt], axes, 2, BF16, c, at(d0 + pp + 5 + 2 * t)).op);
  });
  if (ffn) ffn(fd);
  else emitFfn(sink, "Fwd-FFN-serving-decoder-", "FFN-serving-decoder-AttnPlusFFn", [B, w], M, Mt, Ft, axes, t, fd, c, ph.count);
  if (pp) sink.op(pipelineTransferOp("DecodeSendOutputToPipelineICI", [B, w, Mt], "Output", c, at(fd, "pipeline_ici", ph.stepCount)));
}

/** The dense SwiGLU FFN of `count` layer-steps (the dense layers of a MoE model), as NeuSim's Llama path costs it. */
export function emitDenseFfn(sink: OpSink, c: MoeConfig, p: Parallelism, ph: PhaseShape, count: number, fusion = 0): void {
  const tp = c.tensor_parallelism_degree;
  const rows: [number, number] = [p.localBatch, ph.isDecode ? c.decode_width : c.input_seqlen];
  const prefix = ph.isDecode ? "Fwd-FFN-serving-decoder-dense-" : "Fwd-FFN-encoder-dense-";
  emitFfn(sink, prefix, `${prefix}AttnPlusFFn`, rows, c.d_model, Math.ceil(c.d_model / tp), Math.ceil(c.d_ff / tp), p.tensorParallelAxes, tp > 1 ? 1 : 0, fusion, c, count);
}

/** NeuSim's create_ffn for ffn_type "llama": gate, up, gate x up, down, with the TP collectives and the residual add. */
function emitFfn(
  sink: OpSink, prefix: string, residual: string, rows: [number, number], M: number, Mt: number, Ft: number,
  axes: readonly number[], t: number, fs: number, c: MoeConfig, count: number,
): void {
  const [b, s] = rows;
  const at = (fusion: number, block: Block): OpContext => ({ count, block, fusion });
  if (t) sink.op(allGatherOp("All gather input of MLP before ffn", [b, M], axes, 1, BF16, c, at(fs, "ffn_tp_collective")).op);
  sink.einsum(`${prefix}FFgate`, [b, s, M], [M, Ft], "BLM;MH->BLH", BF16, at(fs + t, "dense_ffn"));
  sink.einsum(`${prefix}FFup`, [b, s, M], [M, Ft], "BLM;MH->BLH", BF16, at(fs + t + 1, "dense_ffn"));
  sink.binary(`${prefix}FFgate_up`, "Mul", [b, s, Ft], BF16, at(fs + t + 2, "dense_ffn"));
  sink.einsum(`${prefix}FFoutput`, [b, s, Ft], [Ft, M], "BLH;HM->BLM", BF16, at(fs + t + 3, "dense_ffn"));
  if (t) sink.op(reduceScatterOp("Reduce and scatter results of MLP before residual", [b, s, M], axes, 2, c, at(fs + t + 4, "ffn_tp_collective")).op);
  sink.binary(residual, "Add", [b, s, Mt], BF16, at(fs + 2 * t + 4, "residual"));
}
