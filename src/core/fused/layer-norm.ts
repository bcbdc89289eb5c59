/**
 * LayerNorm of a sum: LN(x + residual + bias)·g + b over the last axis, the post-LN
 * transformer's "add & norm" (and the embeddings' LN(token + position)).
 *
 * On WebGPU (docs/method.md "Fused kernels") the forward is one dispatch: a few rows per
 * workgroup, each row's sum z held in registers, its mean and then its variance (two passes,
 * as tf.moments, not E[z²] − mean²) reduced in workgroup memory. A TF.js program has one
 * output, so the row statistics are not saved: each backward program recomputes them from the
 * inputs. The backward is one dispatch per gradient that is asked for: dz (x's gradient, and
 * the residual's when R' = R) one workgroup per row group as the forward; dg = Σ_rows dy·x̂ in
 * a single workgroup that first computes a chunk of rows' statistics (a thread per row) into
 * workgroup memory and then sums dy·x̂ down the columns; the bias's, b's and a repeated
 * residual's gradients are column sums (`sumRows`). A split dg (row statistics or per-block
 * partial sums, then a multi-workgroup column sum) would be one more dispatch per step; the
 * single workgroup trades that for less parallelism, a bet for the lab's R·d ≤ 2¹⁸ not yet
 * timed on a real GPU. With every input trainable that is 4 dispatches backward with a bias
 * or a repeated residual (5 with both, a case the lab does not use), 3 without.
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { sumRows, workgroupGrid } from './bias-act';
import {
  fusedActive,
  registerFusedGradient,
  registerWebGPUKernel,
  runFused,
  runProgram,
} from './program';

export const LN_EPS = 1e-5;

/** x̂ = (x − mean) / √(variance + ε) over the last axis: LayerNorm before its gain and bias. */
export function normalise(x: tf.Tensor2D): tf.Tensor2D {
  const { mean, variance } = tf.moments(x, -1, true);
  return x.sub(mean).mul(tf.rsqrt(variance.add(LN_EPS))) as tf.Tensor2D;
}

/**
 * LN(x + residual + bias)·g + b for x [R, d]. `residual` is [R', d] with R a multiple of R'
 * (row r adds residual row r mod R': the position embedding under a batch) or null; `bias` [d]
 * or null.
 */
export function addLayerNorm(
  x: tf.Tensor2D,
  residual: tf.Tensor2D | null,
  bias: tf.Tensor | null,
  g: tf.Tensor,
  b: tf.Tensor,
): tf.Tensor2D {
  if (fusedActive()) {
    if (residual && (x.shape[0] % residual.shape[0] !== 0 || residual.shape[1] !== x.shape[1])) {
      throw new RangeError(`residual [${residual.shape}] does not repeat over x [${x.shape}]`);
    }
    ensureRegistered();
    // An array of inputs (as tf.addN's), so that `saveAllInputs` saves them in this order
    // whichever of residual and bias are present; the attrs say which are.
    const inputs = [x, g, b, ...(residual ? [residual] : []), ...(bias ? [bias] : [])];
    const attrs: LnAttrs = { hasResidual: !!residual, hasBias: !!bias };
    return runFused<tf.Tensor2D>(
      FORWARD,
      inputs as unknown as tf.NamedTensorMap,
      attrs as unknown as tf.NamedAttrMap,
    );
  }
  return composed(x, residual, bias, g, b);
}

function composed(
  x: tf.Tensor2D,
  residual: tf.Tensor2D | null,
  bias: tf.Tensor | null,
  g: tf.Tensor,
  b: tf.Tensor,
): tf.Tensor2D {
  // residual + (x + bias): the order of the post-LN sublayers' x + (y + b) before the fused
  // kernels, so that runs on WASM and cpu stay bit for bit what they were.
  let z = bias ? (x.add(bias) as tf.Tensor2D) : x;
  if (residual) {
    const reps = x.shape[0] / residual.shape[0];
    z = (reps === 1 ? residual : tf.tile(residual, [reps, 1])).add(z) as tf.Tensor2D;
  }
  return normalise(z).mul(g).add(b) as tf.Tensor2D;
}

const FORWARD = 'MatAddLayerNorm';
/** dz, the gradient of the sum z = x + residual + bias: [R, d]. */
const GRAD_Z = 'MatAddLayerNormGradZ';
/** dg = Σ_rows dy·x̂: [d]. */
const GRAD_GAIN = 'MatAddLayerNormGradGain';

interface LnAttrs {
  hasResidual: boolean;
  hasBias: boolean;
}

/** Which of residual and bias a program reads: the WGSL differs, so both go into shaderKey. */
function flagsKey({ hasResidual, hasBias }: LnAttrs): string {
  return `${hasResidual ? 'res' : 'nores'}_${hasBias ? 'bias' : 'nobias'}`;
}

/** Variable names of the sum's inputs, in the order the programs bind them. */
function sumNames({ hasResidual, hasBias }: LnAttrs): string[] {
  return ['x', ...(hasResidual ? ['residual'] : []), ...(hasBias ? ['bias'] : [])];
}

/**
 * `zAt(row, c)`: x + residual (row r mod R') + bias at row `row`, column `c`, added in the
 * composed path's order ((x + residual) + bias), so both round the same way.
 */
function zAtCode(D: number, { hasResidual, hasBias }: LnAttrs): string {
  return `
    fn zAt(row : i32, c : i32) -> f32 {
      var v = f32(x[row * ${D} + c]);
      ${hasResidual ? `v = v + f32(residual[(row % uniforms.residualShape.x) * ${D} + c]);` : ''}
      ${hasBias ? 'v = v + f32(bias[c]);' : ''}
      return v;
    }`;
}

/** Threads per workgroup of the row programs: 64, split into lanes of `threads` per row. */
const ROW_GROUP = 64;

/**
 * Threads per row: about 4 elements each (short reductions, coalesced strided loads), at most
 * the whole workgroup (d = 512: 64 threads of 8 elements). d is in the shader key, so the
 * per-thread element count is a constant and the row lives in registers.
 */
function rowLayout(D: number): { T: number; per: number; lanes: number } {
  let T = 1;
  while (T < ROW_GROUP && T * 4 < D) T *= 2;
  return { T, per: Math.ceil(D / T), lanes: ROW_GROUP / T };
}

/**
 * WGSL shared by the forward and dz programs: the lane layout and `zAt`. Rows past R (the last
 * workgroup) compute on zeros and write nothing: the barriers need the whole workgroup.
 */
function rowProgramCode(D: number, flags: LnAttrs): string {
  const { T, per, lanes } = rowLayout(D);
  return `
    const D = ${D};
    const T = ${T};
    const PER = ${per};
    const LANES = ${lanes};
    var<workgroup> red : array<vec2<f32>, ${ROW_GROUP}>;
    ${zAtCode(D, flags)}`;
}

/**
 * Statements that leave in `name` the sum of the vec2 `value` over the T threads of a lane
 * (every thread gets it): the lane's values in workgroup memory, then each thread adds its
 * lane's T (≤ 64) itself. Not a tree reduction (halving steps, a barrier in each): under Dawn's
 * OpenGL ES backend on llvmpipe that gave wrong sums for T ≥ 16 (relative error 0.13–0.43 on the
 * forward, NaN gradients) where Vulkan was right; this form is right on both (error ≤ 2.4e-7
 * for d = 16–512 on either).
 */
function laneSum(name: string, value: string): string {
  return `
      red[lane * T + t] = ${value};
      workgroupBarrier();
      var ${name} = vec2<f32>(0.0, 0.0);
      for (var i = 0; i < T; i++) { ${name} = ${name} + red[lane * T + i]; }
      workgroupBarrier();`;
}

/** Loads the row's z into `zs` and leaves mean and rstd (1/√(var + ε)) in `mean`, `rstd`. */
const ROW_STATS = `
      let t = i32(localId.x) % T;
      let lane = i32(localId.x) / T;
      let row = (index / ${ROW_GROUP}) * LANES + lane;
      let live = row < uniforms.xShape.x;
      var zs : array<f32, PER>;
      var s = 0.0;
      for (var k = 0; k < PER; k++) {
        let c = t + k * T;
        var v = 0.0;
        if (live && c < D) { v = zAt(row, c); }
        zs[k] = v;
        s += v;
      }
      ${laneSum('sumZ', 'vec2<f32>(s, 0.0)')}
      let mean = sumZ.x / f32(D);
      var q = 0.0;
      for (var k = 0; k < PER; k++) {
        if (t + k * T < D) {
          let dev = zs[k] - mean;
          q += dev * dev;
        }
      }
      ${laneSum('sumQ', 'vec2<f32>(q, 0.0)')}
      let rstd = 1.0 / sqrt(sumQ.x / f32(D) + ${LN_EPS});`;

function rowProgram(
  R: number,
  D: number,
  flags: LnAttrs,
  kind: 'forward' | 'gradZ',
  extra: string[],
  body: string,
): WebGPUProgram {
  const { lanes } = rowLayout(D);
  return {
    variableNames: [...sumNames(flags), ...extra],
    outputShape: [R, D],
    shaderKey: `matAddLayerNorm_${kind}_${D}_${flagsKey(flags)}`,
    dispatchLayout: { x: [0, 1] },
    dispatch: workgroupGrid(Math.ceil(R / lanes)),
    workgroupSize: [ROW_GROUP, 1, 1],
    getUserCode: () => `
      ${rowProgramCode(D, flags)}
      fn main(index : i32) {
        ${ROW_STATS}
        ${body}
      }`,
  };
}

/** y = x̂·g + b. */
function forwardProgram(R: number, D: number, flags: LnAttrs): WebGPUProgram {
  return rowProgram(
    R,
    D,
    flags,
    'forward',
    ['g', 'b'],
    `
        for (var k = 0; k < PER; k++) {
          let c = t + k * T;
          if (live && c < D) { setOutputAtIndex(row * D + c, (zs[k] - mean) * rstd * f32(g[c]) + f32(b[c])); }
        }`,
  );
}

/** dz = rstd·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)), dx̂ = dy·g (biased variance, as the forward). */
function gradZProgram(R: number, D: number, flags: LnAttrs): WebGPUProgram {
  return rowProgram(
    R,
    D,
    flags,
    'gradZ',
    ['g', 'dy'],
    `
        var xh : array<f32, PER>;
        var dxh : array<f32, PER>;
        var s1 = 0.0;
        var s2 = 0.0;
        for (var k = 0; k < PER; k++) {
          let c = t + k * T;
          xh[k] = (zs[k] - mean) * rstd;
          var gy = 0.0;
          if (live && c < D) { gy = f32(dy[row * D + c]) * f32(g[c]); }
          dxh[k] = gy;
          s1 += gy;
          s2 += gy * xh[k];
        }
        ${laneSum('sums', 'vec2<f32>(s1, s2)')}
        let m = sums / f32(D);
        for (var k = 0; k < PER; k++) {
          let c = t + k * T;
          if (live && c < D) { setOutputAtIndex(row * D + c, rstd * (dxh[k] - m.x - xh[k] * m.y)); }
        }`,
  );
}

/** Threads of the dg program's single workgroup; also the rows whose statistics it holds. */
const GAIN_GROUP = 256;
/** Columns side by side in the dg program's second phase (GAIN_GROUP / GAIN_COLS row lanes). */
const GAIN_COLS = 64;

/**
 * dg = Σ_rows dy·x̂ [d] in one workgroup. For each chunk of 256 rows: each thread computes its
 * row's mean and rstd (two passes over the row, as the forward) into workgroup memory; then
 * 64 columns × 4 row lanes accumulate dy·(z − mean)·rstd over the chunk's rows; at the end the
 * 4 lanes are added. One workgroup because a cross-workgroup sum needs another dispatch (WGSL
 * has no float atomics).
 */
function gainGradProgram(D: number, flags: LnAttrs): WebGPUProgram {
  const per = Math.ceil(D / GAIN_COLS);
  const lanes = GAIN_GROUP / GAIN_COLS;
  return {
    variableNames: [...sumNames(flags), 'dy'],
    outputShape: [D],
    shaderKey: `matAddLayerNorm_gradGain_${D}_${flagsKey(flags)}`,
    dispatchLayout: { x: [0] },
    dispatch: [1, 1, 1],
    workgroupSize: [GAIN_GROUP, 1, 1],
    getUserCode: () => `
      const D = ${D};
      const PER = ${per};
      var<workgroup> stats : array<vec2<f32>, ${GAIN_GROUP}>;
      var<workgroup> part : array<f32, ${GAIN_GROUP}>;
      ${zAtCode(D, flags)}

      fn main(index : i32) {
        let id = i32(localId.x);
        let t = id % ${GAIN_COLS};
        let lane = id / ${GAIN_COLS};
        let R = uniforms.xShape.x;
        var acc : array<f32, PER>;
        for (var k = 0; k < PER; k++) { acc[k] = 0.0; }
        for (var base = 0; base < R; base += ${GAIN_GROUP}) {
          let own = base + id;
          var st = vec2<f32>(0.0, 0.0);
          if (own < R) {
            var s = 0.0;
            for (var c = 0; c < D; c++) { s += zAt(own, c); }
            let mean = s / f32(D);
            var q = 0.0;
            for (var c = 0; c < D; c++) {
              let dev = zAt(own, c) - mean;
              q += dev * dev;
            }
            st = vec2<f32>(mean, 1.0 / sqrt(q / f32(D) + ${LN_EPS}));
          }
          stats[id] = st;
          workgroupBarrier();
          let n = min(${GAIN_GROUP}, R - base);
          for (var i = lane; i < n; i += ${lanes}) {
            let row = base + i;
            let rs = stats[i];
            for (var k = 0; k < PER; k++) {
              let c = t + k * ${GAIN_COLS};
              if (c < D) { acc[k] += f32(dy[row * D + c]) * (zAt(row, c) - rs.x) * rs.y; }
            }
          }
          workgroupBarrier();
        }
        for (var k = 0; k < PER; k++) {
          part[id] = acc[k];
          workgroupBarrier();
          let c = t + k * ${GAIN_COLS};
          if (lane == 0 && c < D) {
            var total = 0.0;
            for (var l = 0; l < ${lanes}; l++) { total += part[l * ${GAIN_COLS} + t]; }
            setOutputAtIndex(c, total);
          }
          workgroupBarrier();
        }
      }`,
  };
}

function lnAttrs(attrs: tf.NamedAttrMap | undefined): LnAttrs {
  return attrs as unknown as LnAttrs;
}

/** Splits the forward's input array [x, g, b, residual?, bias?] (the order addLayerNorm uses). */
function splitInputs<T>(
  xs: readonly T[],
  { hasResidual, hasBias }: LnAttrs,
): { x: T; g: T; b: T; residual: T | null; bias: T | null } {
  const [x, g, b, ...rest] = xs;
  const residual = hasResidual ? rest.shift()! : null;
  const bias = hasBias ? rest.shift()! : null;
  return { x: x!, g: g!, b: b!, residual, bias };
}

let registered = false;

function ensureRegistered(): void {
  if (registered) return;
  registered = true;
  registerWebGPUKernel(FORWARD, ({ inputs, backend, attrs }) => {
    const flags = lnAttrs(attrs);
    const xs = Object.values(inputs) as tf.TensorInfo[];
    const { x, g, b, residual, bias } = splitInputs(xs, flags);
    const [R, D] = x.shape as [number, number];
    const sum = [x, ...(residual ? [residual] : []), ...(bias ? [bias] : [])];
    return runProgram(backend as tf.KernelBackend, forwardProgram(R, D, flags), [...sum, g, b]);
  });
  // Inputs: the sum's (x, residual?, bias?), then g, dy.
  registerWebGPUKernel(GRAD_Z, ({ inputs, backend, attrs }) => {
    const flags = lnAttrs(attrs);
    const xs = Object.values(inputs) as tf.TensorInfo[];
    const [R, D] = xs[0]!.shape as [number, number];
    return runProgram(backend as tf.KernelBackend, gradZProgram(R, D, flags), xs);
  });
  // Inputs: the sum's (x, residual?, bias?), then dy.
  registerWebGPUKernel(GRAD_GAIN, ({ inputs, backend, attrs }) => {
    const flags = lnAttrs(attrs);
    const xs = Object.values(inputs) as tf.TensorInfo[];
    const D = xs[0]!.shape[1]!;
    return runProgram(backend as tf.KernelBackend, gainGradProgram(D, flags), xs);
  });
  registerFusedGradient({
    kernelName: FORWARD,
    saveAllInputs: true,
    gradFunc: (dy, saved, attrs) => {
      const flags = lnAttrs(attrs);
      const { x, g, b, residual, bias } = splitInputs(saved, flags);
      const dyT = dy as tf.Tensor2D;
      const sum = [x, ...(residual ? [residual] : []), ...(bias ? [bias] : [])];
      // dz feeds x, the residual and the bias: computed by the first of them the engine asks
      // for (lazily, so a pruned LayerNorm costs nothing) and handed to the others as clones,
      // distinct tensors the engine may dispose separately.
      let dz: tf.Tensor2D | null = null;
      const gradZ = (): tf.Tensor2D => {
        if (dz && !dz.isDisposed) return dz.clone();
        dz = runFused<tf.Tensor2D>(GRAD_Z, [...sum, g, dyT] as unknown as tf.NamedTensorMap, attrs);
        return dz;
      };
      const grads: Record<string, () => tf.Tensor> = {
        0: gradZ,
        1: () =>
          runFused<tf.Tensor>(
            GRAD_GAIN,
            [...sum, dyT] as unknown as tf.NamedTensorMap,
            attrs,
          ).reshape(g.shape),
        2: () => sumRows(dyT, 1).reshape(b.shape),
      };
      let next = 3;
      if (residual) {
        const groups = residual.shape[0]!;
        grads[next++] = () => {
          const d = gradZ();
          return groups === x.shape[0] ? d : sumRows(d, groups);
        };
      }
      if (bias) grads[next] = () => sumRows(gradZ(), 1).reshape(bias.shape);
      return grads;
    },
  });
}
