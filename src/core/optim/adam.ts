import * as tf from '@tensorflow/tfjs';
import { concatCopies, sliceCopies } from '../fused/copies';
import { adamStep } from '../fused/adam';

export interface AdamConfig {
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

/** One variable's Adam state as plain data (checkpoints, docs/checkpoints.md). */
export interface AdamSlotData {
  m: Float32Array;
  v: Float32Array;
  /** Updates the variable has received (its bias-correction step). */
  t: number;
}

/** Adam's state kept on the device (`FusedAdam.snapshot`). */
export interface AdamSnapshot {
  /** The state of the variables named (in that order) as `exportSlots` gives it: a readback. */
  read(names: readonly string[]): Promise<(AdamSlotData | null)[]>;
  /** Bytes the copies hold on the device. */
  bytes(): number;
  dispose(): void;
}

interface SlotState {
  /** First and second moment estimates, flat; kept while the variable is frozen. */
  m: tf.Tensor1D;
  v: tf.Tensor1D;
  /** Number of updates this variable has received (Adam's bias-correction step t). */
  t: number;
}

/**
 * Adam over a changing set of variables, fused into one flat vector per step.
 *
 * Why not tf.train.adam: TF.js indexes Adam's moment slots by position in the variable list
 * and keeps one global step count, so freezing a module would hand its moments to another
 * variable and thawing would apply the wrong bias correction. It also runs ≈ 12 kernels per
 * variable; with a variable per attention head that dominates a dispatch-bound step.
 *
 * Here each variable keeps its own moments and its own step t. Between two changes of the
 * active set the active weights and moments live in one flat state w | m | v, so a step costs
 * the concatenation of the gradients, one `adamStep` (one dispatch on WebGPU, ≈ 14 element-wise
 * kernels elsewhere), and one slice per variable to hand it its new weights. A frozen
 * variable's moments and t are untouched.
 *
 * The variables stay the source of truth for the weights: anything may assign one between
 * steps (a checkpoint restore, an import), so `apply` compares each active variable's data id
 * with the one it gave it and rebuilds w from the variables when one differs.
 */
export class FusedAdam {
  private readonly slots = new Map<string, SlotState>();
  private active: tf.Variable[] = [];
  /** w | m | v of the active variables, in `active` order; replaced each step, never written. */
  private state: tf.Tensor1D | null = null;
  /** Elements of each part of `state` (the active variables' total size). */
  private flatSize = 0;
  /** Index of the owning variable for every element of w (for bias correction). */
  private segment: tf.Tensor1D | null = null;
  /** Each active variable's data id as of the last time w was taken from or written to it. */
  private weightIds: tf.Tensor['dataId'][] = [];

  constructor(readonly config: AdamConfig) {}

  /** Changes the set of variables updated by `apply`; moments of dropped variables are kept. */
  setActive(vars: tf.Variable[]): void {
    if (sameList(vars, this.active)) return;
    this.unpack();
    this.active = vars.slice();
    if (vars.length === 0) return;
    for (const v of vars) {
      if (!this.slots.has(v.name)) {
        this.slots.set(v.name, {
          m: tf.keep(tf.zeros([v.size])) as tf.Tensor1D,
          v: tf.keep(tf.zeros([v.size])) as tf.Tensor1D,
          t: 0,
        });
      }
    }
    const slots = vars.map((v) => this.slot(v.name));
    this.state = tf.keep(
      tf.tidy(() => concatCopies([...vars, ...slots.map((s) => s.m), ...slots.map((s) => s.v)])),
    ) as tf.Tensor1D;
    this.flatSize = this.state.size / 3;
    this.weightIds = vars.map((v) => v.dataId);
    const seg = new Int32Array(this.flatSize);
    let offset = 0;
    vars.forEach((v, i) => {
      seg.fill(i, offset, offset + v.size);
      offset += v.size;
    });
    this.segment = tf.keep(tf.tensor1d(seg, 'int32'));
    for (const s of slots) {
      s.m.dispose();
      s.v.dispose();
    }
  }

  /** Writes the flat moments back to per-variable slots (the variables hold the weights). */
  private unpack(): void {
    if (this.state === null) return;
    const sizes = this.active.map((v) => v.size);
    const [w, ...parts] = tf.split(this.state, [this.flatSize, ...sizes, ...sizes]);
    w!.dispose();
    this.active.forEach((v, i) => {
      const s = this.slot(v.name);
      s.m = tf.keep(parts[i]!) as tf.Tensor1D;
      s.v = tf.keep(parts[sizes.length + i]!) as tf.Tensor1D;
    });
    this.state.dispose();
    this.segment?.dispose();
    this.state = this.segment = null;
    this.weightIds = [];
  }

  /** m | v of the active variables, a new tensor [2P] (a copy: the state is replaced per step). */
  private moments(): tf.Tensor1D {
    return tf.slice(this.state!, this.flatSize, 2 * this.flatSize);
  }

  /**
   * Rebuilds w from the active variables when one was assigned since `apply` or `setActive`
   * last took its weights (a restore, an import): the variables are the weights' truth.
   */
  private refreshWeights(): void {
    const vars = this.active;
    if (vars.every((v, i) => v.dataId === this.weightIds[i])) return;
    const fresh = tf.tidy(() =>
      tf.concat([...vars.map((v) => v.reshape([-1])), this.moments()]),
    ) as tf.Tensor1D;
    this.state!.dispose();
    this.state = tf.keep(fresh);
    this.weightIds = vars.map((v) => v.dataId);
  }

  private slot(name: string): SlotState {
    const s = this.slots.get(name);
    if (!s) throw new Error(`No Adam state for ${name}`);
    return s;
  }

  /** Step count t of a variable (0 if never updated). */
  stepsOf(name: string): number {
    return this.slots.get(name)?.t ?? 0;
  }

  /** Moments of a variable as plain arrays (tests, export). */
  async momentsOf(name: string): Promise<{ m: Float32Array; v: Float32Array; t: number }> {
    const idx = this.active.findIndex((v) => v.name === name);
    if (idx >= 0 && this.state) {
      const start = this.active.slice(0, idx).reduce((a, v) => a + v.size, 0);
      const size = this.active[idx]!.size;
      const P = this.flatSize;
      const mt = tf.slice(this.state, P + start, size);
      const vt = tf.slice(this.state, 2 * P + start, size);
      try {
        // Copies: cpu's slice may be a view into the state.
        const [m, v] = await Promise.all([mt.data(), vt.data()]);
        return {
          m: Float32Array.from(m as Float32Array),
          v: Float32Array.from(v as Float32Array),
          t: this.slot(name).t,
        };
      } finally {
        mt.dispose();
        vt.dispose();
      }
    }
    const s = this.slot(name);
    return { m: (await s.m.data()) as Float32Array, v: (await s.v.data()) as Float32Array, t: s.t };
  }

  /**
   * The state of `vars` (in that order) as plain arrays, copies: null for a variable that has
   * no slot yet (never active).
   */
  async exportSlots(vars: readonly tf.Variable[]): Promise<(AdamSlotData | null)[]> {
    // The active moments in one readback (not one per variable), cut on the CPU.
    let flat: Float32Array | null = null;
    if (this.state) {
      const mv = this.moments();
      try {
        flat = (await mv.data()) as Float32Array;
      } finally {
        mv.dispose();
      }
    }
    const P = this.flatSize;
    const offset = new Map<string, number>();
    let at = 0;
    for (const v of this.active) {
      offset.set(v.name, at);
      at += v.size;
    }
    const out: (AdamSlotData | null)[] = [];
    for (const v of vars) {
      const s = this.slots.get(v.name);
      const o = offset.get(v.name);
      if (!s) out.push(null);
      else if (o !== undefined && flat) {
        out.push({ m: flat.slice(o, o + v.size), v: flat.slice(P + o, P + o + v.size), t: s.t });
      } else {
        // Copies: a backend may hand out its own buffer, and checkpoints are transferred.
        const m = Float32Array.from((await s.m.data()) as Float32Array);
        out.push({ m, v: Float32Array.from((await s.v.data()) as Float32Array), t: s.t });
      }
    }
    return out;
  }

  /**
   * The state as device copies, read back only when asked (`AdamSnapshot.read`): the worker's
   * checkpoint ring (forks). The active moments are copied out of the state (one slice, so the
   * copy holds m and v, not w); a frozen variable's `tf.clone` shares the buffer without
   * copying it, which is exact because `apply` replaces the state and the slots, never writes
   * into them.
   */
  snapshot(): AdamSnapshot {
    const flat = this.state
      ? {
          mv: tf.keep(this.moments()),
          size: this.flatSize,
          active: this.active.map((v) => ({ name: v.name, size: v.size })),
        }
      : null;
    const inFlat = new Set(flat?.active.map((a) => a.name) ?? []);
    const slots = new Map<string, { m: tf.Tensor | null; v: tf.Tensor | null; t: number }>();
    for (const [name, s] of this.slots) {
      const frozen = !inFlat.has(name);
      slots.set(name, {
        m: frozen ? tf.clone(s.m) : null,
        v: frozen ? tf.clone(s.v) : null,
        t: s.t,
      });
    }
    const read = async (names: readonly string[]): Promise<(AdamSlotData | null)[]> => {
      const data = flat ? ((await flat.mv.data()) as Float32Array) : null;
      const offset = new Map<string, [number, number]>();
      let at = 0;
      for (const a of flat?.active ?? []) {
        offset.set(a.name, [at, a.size]);
        at += a.size;
      }
      const out: (AdamSlotData | null)[] = [];
      for (const name of names) {
        const s = slots.get(name);
        const o = offset.get(name);
        if (!s) out.push(null);
        else if (o && data && flat) {
          const [at, size] = o;
          const P = flat.size;
          out.push({
            m: data.slice(at, at + size),
            v: data.slice(P + at, P + at + size),
            t: s.t,
          });
        } else {
          const m = Float32Array.from((await s.m!.data()) as Float32Array);
          out.push({ m, v: Float32Array.from((await s.v!.data()) as Float32Array), t: s.t });
        }
      }
      return out;
    };
    const tensors = (): tf.Tensor[] => [
      ...(flat ? [flat.mv] : []),
      ...[...slots.values()].flatMap((s) => (s.m && s.v ? [s.m, s.v] : [])),
    ];
    return {
      read,
      bytes: () => tensors().reduce((a, t) => a + t.size * 4, 0),
      dispose: () => tensors().forEach((t) => t.dispose()),
    };
  }

  /**
   * Replaces the whole state by `slots` (aligned with `vars`; null: no slot) and empties the
   * active set, so the next `setActive` builds its flat buffers from them. Sizes are checked.
   */
  importSlots(vars: readonly tf.Variable[], slots: readonly (AdamSlotData | null)[]): void {
    if (slots.length !== vars.length) {
      throw new RangeError(
        `Adam state for ${slots.length} variables, the model has ${vars.length}.`,
      );
    }
    vars.forEach((v, i) => {
      const s = slots[i];
      if (
        s &&
        (s.m.length !== v.size || s.v.length !== v.size || !Number.isInteger(s.t) || s.t < 0)
      )
        throw new RangeError(
          `Adam state ${i} (${v.name}) needs m and v of ${v.size} values and a step t ≥ 0.`,
        );
    });
    this.dispose();
    vars.forEach((v, i) => {
      const s = slots[i];
      if (!s) return;
      this.slots.set(v.name, {
        m: tf.keep(tf.tensor1d(s.m)),
        v: tf.keep(tf.tensor1d(s.v)),
        t: s.t,
      });
    });
  }

  /**
   * One Adam step on the active variables. `grads[i]` is the gradient of `active[i]`.
   * w ← w − lr · (m̂ / (√v̂ + ε)) with m̂ = m / (1 − β1^t), v̂ = v / (1 − β2^t), per variable t.
   */
  apply(grads: tf.Tensor[]): void {
    const vars = this.active;
    if (vars.length === 0) return;
    if (grads.length !== vars.length) throw new Error('FusedAdam: gradient count mismatch');
    const { lr, beta1, beta2, epsilon } = this.config;
    // Per-variable step size lr·√(1−β2^t)/(1−β1^t) and ε scaled the same way, so that
    // lr_t · m / (√v + ε·√(1−β2^t)) equals lr · m̂ / (√v̂ + ε) exactly.
    const stepSize = new Float32Array(vars.length);
    const epsScaled = new Float32Array(vars.length);
    vars.forEach((v, i) => {
      const s = this.slot(v.name);
      s.t += 1;
      const bc2 = Math.sqrt(1 - beta2 ** s.t);
      stepSize[i] = (lr * bc2) / (1 - beta1 ** s.t);
      epsScaled[i] = epsilon * bc2;
    });
    const coeffs = new Float32Array(2 * vars.length);
    coeffs.set(stepSize);
    coeffs.set(epsScaled, vars.length);
    this.refreshWeights();
    const state = tf.tidy(() =>
      adamStep(this.state!, concatCopies(grads), tf.tensor1d(coeffs), this.segment!, beta1, beta2),
    );
    this.state!.dispose();
    this.state = tf.keep(state);
    // The new weights are the state's first P values, a piece per variable (buffer copies on
    // WebGPU, slices elsewhere: core/fused/copies.ts).
    const parts = sliceCopies(
      state,
      vars.map((v) => v.size),
    );
    vars.forEach((v, i) => {
      const p = parts[i]!;
      const r = p.reshape(v.shape);
      v.assign(r);
      r.dispose();
      p.dispose();
    });
    this.weightIds = vars.map((v) => v.dataId);
  }

  dispose(): void {
    this.unpack();
    for (const s of this.slots.values()) {
      s.m.dispose();
      s.v.dispose();
    }
    this.slots.clear();
    this.active = [];
  }
}

function sameList(a: tf.Variable[], b: tf.Variable[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
