import * as tf from '@tensorflow/tfjs';
import type { KernelTerms, Probe, ProbeTensors } from '../transformer/kernel';
import {
  embedTapsOf,
  embedZeroTaps,
  ffnGram,
  headGrams,
  probeEmbedGram,
  probeObjective,
  termsAndKernels,
} from '../transformer/kernel';
import type { BertCaptured, TinyBert } from './model';
import { passVariables, sampleLosses } from '../model';
import { checkStepKernelSize, moduleStepGradients, stepPass } from '../step-kernel';
import type { StepProbe } from '../types';
import type { MlmTensors } from '../transformer/mlm-task';
import type { TransformerStep } from '../transformer/step-kernel';
import {
  firstRows,
  headAndEmbedGradients,
  readStepKernels,
  transformerStepProbe,
  stepHeadAndEmbedGrams,
} from '../transformer/step-kernel';

/**
 * Every module's n × n kernel in one forward and one backward pass over the replicated probe
 * batch: gradients of Σ s with respect to zero taps on the modules' outputs are the per-sample
 * output gradients D_i; then
 * - a head's per-sample parameter gradient is X̃_iᵀ D_i (tokens summed, bias via the ones
 *   column) for q|k|v and ctx_iᵀ D_i for its output rows (`headGrams`);
 * - an FFN block's (modules `ffn`) x̃_iᵀ D^h_i and ã_iᵀ D^y_i, taps on its pre-activation and
 *   output (`ffnGram`);
 * - the embeddings' (module `embed`) from taps on the token + position sum, the embedding
 *   LayerNorm's output and the logits (`embedGram`: the token rows' Gram from token-pair
 *   products, never a [n, V·d] gradient);
 * and Θ = w Σ_r G_r G_rᵀ. Returns [modules, n, n] row-major in module order: L0.H0, L0.H1, …,
 * then L0.F, L1.F, …, then E; with `extras.withTerms` also the terms w·G_r G_rᵀ (`KernelTerms`).
 */
export async function fastBertKernels(
  model: TinyBert,
  probe: Probe,
  pt: ProbeTensors,
  extras?: KernelTerms,
): Promise<Float32Array> {
  const { layers: Lc, heads: H, dModel: d, dFF: F, seqLen: T, vocab: V } = model.size;
  const { ffn, embed } = model.selection;
  const dh = model.dHead;
  const n = probe.batch.batch;
  const M = probe.batch.masked;
  const Rp = probe.numProjections;
  const N = Rp * n;
  const capture: Required<BertCaptured> = {
    xAug: [],
    ctx: [],
    xhat: [],
    tn: [],
    ffnIn: [],
    hidden: [],
  };
  const grams = tf.tidy(() => {
    const layers = Array.from({ length: Lc }, () => 0);
    const tokens = (w: number) => layers.map(() => tf.zeros([N * T, w]) as tf.Tensor2D);
    const taps: tf.Tensor2D[][] = [tokens(3 * H * dh), tokens(d)];
    if (ffn) taps.push(tokens(F), tokens(d));
    const embedTaps = embed ? embedZeroTaps({ N, T, M }, d, V) : [];
    const f = (...t: tf.Tensor[]) => {
      const part = (k: number) => t.slice(k * Lc, (k + 1) * Lc) as tf.Tensor2D[];
      const e = t.slice(taps.length * Lc) as tf.Tensor2D[];
      const logits = model.forward(
        { tokens: pt.tokens, positions: pt.positions },
        {
          taps: {
            qkv: part(0),
            y: part(1),
            ...(ffn ? { h: part(2), out: part(3) } : {}),
            ...(embed ? { embed: embedTapsOf(e) } : {}),
          },
          capture,
        },
      );
      return probeObjective(logits, probe, pt.oneHot, pt.projections);
    };
    const D = tf.grads(f)([...taps.flat(), ...embedTaps]);
    const perLayer: tf.Tensor[] = [];
    for (let l = 0; l < Lc; l++) {
      perLayer.push(
        headGrams(capture.xAug[l]!, capture.ctx[l]!, D[l]!, D[Lc + l]!, { n, Rp, T, H, dh }),
      );
    }
    if (ffn) {
      for (let l = 0; l < Lc; l++) {
        const dims = { n, Rp, T };
        perLayer.push(
          ffnGram(capture.ffnIn[l]!, capture.hidden[l]!, D[2 * Lc + l]!, D[3 * Lc + l]!, dims),
        );
      }
    }
    if (embed) {
      perLayer.push(probeEmbedGram(D.slice(taps.length * Lc), capture, pt.tokens, { n, Rp, T, M }));
    }
    return tf.concat(perLayer, 0).mul(probe.weight);
  });
  for (const t of Object.values(capture).flat()) t.dispose();
  return termsAndKernels(grams, extras);
}

/** The 'step' kernel of a BERT training step, and its n × n kernels (for tests). */
export interface BertStepProbe extends StepProbe {
  /** [modules, n, n] row-major, module order as `fastBertKernels`. */
  kernels: Float32Array;
}

/**
 * A training step on the MLM batch (tokens [B, T], masked positions, one-hot targets) that also
 * takes the 'step' kernel: the loss kernel Θ_m[i, j] = ⟨∇θ_m ℓ_i, ∇θ_m ℓ_j⟩ of every module on
 * the batch's first n sequences, ℓ_i the mean cross-entropy over sequence i's M masked tokens
 * (docs/method.md, "The kernel").
 *
 * One forward of the whole batch with every layer's heads as one group, zero taps on every
 * module's outputs (as `fastBertKernels`) and their inputs captured, and one backward of the
 * batch-mean loss (1/B)·Σ ℓ_i to the taps and the backbone: sequences are independent in the
 * forward, so rows of sequence i of a tap's gradient are (1/B)·∂ℓ_i/∂z. The per-sample gradients
 * of the first n sequences and their Grams are `fastBertKernels`' (one replica), times B².
 *
 * The modules' weight gradients are not taken on the way: `gradients(vars)` computes, after the
 * decision, only those asked for, from the same tap gradients and captured inputs
 * (`headWeightGradients`, the FFN's x̃ᵀD^h and ãᵀD^y, `embedWeightGradients`): the plain step's
 * gradients, up to the summation order.
 */
export async function stepBertKernels(
  model: TinyBert,
  batch: MlmTensors,
  n: number,
): Promise<BertStepProbe> {
  const [tokens, positions, oneHot] = batch;
  const B = tokens.shape[0];
  checkStepKernelSize(n, B);
  const { layers: Lc, heads: H, dModel: d, dFF: F, seqLen: T, vocab: V } = model.size;
  const { ffn, embed } = model.selection;
  const dh = model.dHead;
  const M = positions.shape[0] / B;
  const capture: BertCaptured = { xAug: [], ctx: [], ffnIn: [], hidden: [] };
  if (embed) Object.assign(capture, { xhat: [], tn: [] });
  // Tap widths, layer by layer: q|k|v and attention output, then the FFN's h and output.
  const widths = ffn ? [3 * H * dh, d, F, d] : [3 * H * dh, d];
  const ownTaps = widths.length * Lc;
  const { value, grads, D, backboneGrads } = stepPass(
    passVariables(model),
    () => [
      ...widths.flatMap((w) => Array.from({ length: Lc }, () => tf.zeros([B * T, w]))),
      ...(embed ? embedZeroTaps({ N: B, T, M }, d, V) : []),
    ],
    (t) => {
      const part = (k: number) => t.slice(k * Lc, (k + 1) * Lc) as tf.Tensor2D[];
      const taps = {
        qkv: part(0),
        y: part(1),
        ...(ffn ? { h: part(2), out: part(3) } : {}),
        ...(embed ? { embed: embedTapsOf(t.slice(ownTaps) as tf.Tensor2D[]) } : {}),
      };
      const logits = model.forward({ tokens, positions }, { taps, capture });
      return sampleLosses(logits, oneHot).mean() as tf.Scalar;
    },
  );
  const tap = (k: number, l: number) => D[k * Lc + l]! as tf.Tensor2D;
  const step: TransformerStep = {
    model,
    tokens,
    M,
    capture,
    dQkv: (l) => tap(0, l),
    dY: (l) => tap(1, l),
    embed: embed ? (D.slice(ownTaps) as tf.Tensor2D[]) : null,
  };
  const grams = tf.tidy(() => {
    const nT = n * T;
    const shared = stepHeadAndEmbedGrams(step, n);
    const ffns = !ffn
      ? []
      : Array.from({ length: Lc }, (_, l) => {
          const [x, a] = [capture.ffnIn![l]!, capture.hidden![l]!];
          const [dh, dy] = [firstRows(tap(2, l), nT), firstRows(tap(3, l), nT)];
          return ffnGram(firstRows(x, nT), firstRows(a, nT), dh, dy, { n, Rp: 1, T });
        });
    return [...shared.heads, ...ffns, ...shared.embed];
  });
  const kernels = await readStepKernels(grams, B);

  const gradients = moduleStepGradients(model, backboneGrads, (asked, got) => {
    const heads = Array.from({ length: Lc }, () => [] as number[]);
    let embedAsked = false;
    for (const m of asked) {
      const info = model.modules[m]!;
      if (info.kind === 'head') heads[info.layer]!.push(info.index);
      else if (info.kind === 'embed') embedAsked = true;
      else {
        const l = info.layer;
        const L = model.layerVars[l]!;
        got.set(L.w1.name, tf.matMul(capture.ffnIn![l]!, tap(2, l), true, false));
        got.set(L.b1.name, tap(2, l).sum(0));
        got.set(L.w2.name, tf.matMul(capture.hidden![l]!, tap(3, l), true, false));
        got.set(L.b2.name, tap(3, l).sum(0));
      }
    }
    headAndEmbedGradients(step, heads, embedAsked, got);
  });
  return transformerStepProbe(kernels, n, value, gradients, [
    ...(Object.values(capture).flat() as tf.Tensor[]),
    ...grads,
  ]);
}
