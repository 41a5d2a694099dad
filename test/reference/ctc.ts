/**
 * Float64 reference of connectionist temporal classification (Graves et al., 2006), with the shapes
 * and semantics of src/ctc/ctc-loss.ts and torch.nn.CTCLoss applied to log_softmax(logits):
 *
 *   l' = the target with a blank before, between and after its labels (S = 2L + 1 states)
 *   α_0(0) = y_0(blank), α_0(1) = y_0(l_1);  α_t(s) = y_t(l'_s) · (α_{t−1}(s) + α_{t−1}(s−1) + [skip] α_{t−1}(s−2))
 *   β_{T−1}(S−1) = y(blank), β_{T−1}(S−2) = y(l_L); β_t(s) = y_t(l'_s) · (β_{t+1}(s) + β_{t+1}(s+1) + [skip] β_{t+1}(s+2))
 *   skip: l'_s is a label and differs from l'_{s∓2} (a repeated label needs a blank between)
 *   p(l | x) = α_{T−1}(S−1) + α_{T−1}(S−2),   nll = −log p
 *   ∂nll/∂u_t(c) = y_t(c) − (1 / (p · y_t(c))) Σ_{s: l'_s = c} α_t(s) β_t(s)       (u = logits)
 *
 * everything in log space. Per row b only its first input_lengths[b] steps count; later steps get
 * zero gradient. reduction 'mean' divides each nll by max(L_b, 1) and averages over the batch (as
 * torch); 'sum' adds them. An alignment that cannot exist (T_b < L_b + number of repeated neighbours)
 * has p = 0: loss +∞ and NaN gradient for that row (torch's behaviour), or 0 and 0 with zero_infinity.
 */

export type RefCtcReduction = 'mean' | 'sum';

export interface RefCtcOptions {
  blank?: number;
  reduction?: RefCtcReduction;
  zero_infinity?: boolean;
  /** valid steps per row, each 1..T (default T) */
  input_lengths?: ArrayLike<number>;
}

export interface RefCtcResult {
  /** the reduced loss */
  loss: number;
  /** per-row −log p(target | x) (torch's reduction='none'; 0 for impossible rows with zero_infinity) */
  losses: Float64Array;
  /** d loss / d logits (T, B, C) */
  grad_input: Float64Array;
}

/** log(e^a + e^b) without overflow; −∞ when both are −∞. */
export function logAddExp(a: number, b: number): number {
  const m = Math.max(a, b);
  if (m === -Infinity) return -Infinity;
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
}

/** Whether a target of `labels` fits in T steps: T ≥ L + (number of equal neighbours). */
export function ctcFeasible(labels: ArrayLike<number>, T: number): boolean {
  let need = labels.length;
  for (let i = 1; i < labels.length; i++) if (labels[i] === labels[i - 1]) need++;
  return T >= need;
}

/** Row-wise log_softmax of (rows, C). */
export function refLogSoftmax(x: Float64Array, C: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let r = 0; r < x.length / C; r++) {
    let m = -Infinity;
    for (let c = 0; c < C; c++) m = Math.max(m, x[r * C + c]);
    let s = 0;
    for (let c = 0; c < C; c++) s += Math.exp(x[r * C + c] - m);
    const lse = m + Math.log(s);
    for (let c = 0; c < C; c++) out[r * C + c] = x[r * C + c] - lse;
  }
  return out;
}

/** log α (T_b, S) and log β (T_b, S) of one row, from its log-probabilities lp(t, c) = lp[(t·B + b)·C + c]. */
export function refCtcAlphaBeta(lp: Float64Array, B: number, C: number, b: number, Tb: number, labels: ArrayLike<number>, blank: number): { alpha: Float64Array; beta: Float64Array; S: number } {
  const S = 2 * labels.length + 1;
  const lab = (s: number) => (s % 2 === 0 ? blank : labels[(s - 1) >> 1]);
  const y = (t: number, s: number) => lp[(t * B + b) * C + lab(s)];
  const skip = (s: number, s2: number) => s % 2 === 1 && s2 >= 0 && s2 < S && lab(s2) !== lab(s);
  const alpha = new Float64Array(Tb * S).fill(-Infinity);
  const beta = new Float64Array(Tb * S).fill(-Infinity);
  alpha[0] = y(0, 0);
  if (S > 1) alpha[1] = y(0, 1);
  for (let t = 1; t < Tb; t++) {
    for (let s = 0; s < S; s++) {
      let a = alpha[(t - 1) * S + s];
      if (s >= 1) a = logAddExp(a, alpha[(t - 1) * S + s - 1]);
      if (skip(s, s - 2)) a = logAddExp(a, alpha[(t - 1) * S + s - 2]);
      alpha[t * S + s] = a + y(t, s);
    }
  }
  const last = Tb - 1;
  beta[last * S + S - 1] = y(last, S - 1);
  if (S > 1) beta[last * S + S - 2] = y(last, S - 2);
  for (let t = last - 1; t >= 0; t--) {
    for (let s = 0; s < S; s++) {
      let a = beta[(t + 1) * S + s];
      if (s + 1 < S) a = logAddExp(a, beta[(t + 1) * S + s + 1]);
      if (skip(s, s + 2)) a = logAddExp(a, beta[(t + 1) * S + s + 2]);
      beta[t * S + s] = a + y(t, s);
    }
  }
  return { alpha, beta, S };
}

/**
 * CTC loss and its gradient with respect to the logits (T, B, C), time-major.
 *
 * @example
 * const r = refCtcLoss(logits, 4, 1, 3, [[1, 2]], { blank: 0 }); // r.loss = −log p("1 2" | x)
 */
export function refCtcLoss(logits: Float64Array, T: number, B: number, C: number, targets: readonly ArrayLike<number>[], opts: RefCtcOptions = {}): RefCtcResult {
  const blank = opts.blank ?? 0;
  const reduction = opts.reduction ?? 'mean';
  const lp = refLogSoftmax(logits, C);
  const losses = new Float64Array(B);
  const grad = new Float64Array(T * B * C);
  let loss = 0;
  for (let b = 0; b < B; b++) {
    const Tb = opts.input_lengths ? opts.input_lengths[b] : T;
    const labels = targets[b];
    const w = reduction === 'mean' ? 1 / (Math.max(labels.length, 1) * B) : 1;
    const { alpha, beta, S } = refCtcAlphaBeta(lp, B, C, b, Tb, labels, blank);
    const ll = logAddExp(alpha[(Tb - 1) * S + S - 1], S > 1 ? alpha[(Tb - 1) * S + S - 2] : -Infinity);
    if (ll === -Infinity) {
      losses[b] = opts.zero_infinity ? 0 : Infinity;
      loss += opts.zero_infinity ? 0 : Infinity;
      if (!opts.zero_infinity) for (let t = 0; t < Tb; t++) grad.fill(NaN, (t * B + b) * C, (t * B + b + 1) * C);
      continue;
    }
    losses[b] = -ll;
    loss += w * -ll;
    for (let t = 0; t < Tb; t++) {
      const occ = new Float64Array(C).fill(-Infinity);
      for (let s = 0; s < S; s++) {
        const c = s % 2 === 0 ? blank : labels[(s - 1) >> 1];
        occ[c] = logAddExp(occ[c], alpha[t * S + s] + beta[t * S + s]);
      }
      for (let c = 0; c < C; c++) {
        const l = lp[(t * B + b) * C + c];
        grad[(t * B + b) * C + c] = w * (Math.exp(l) - Math.exp(occ[c] - l - ll));
      }
    }
  }
  return { loss, losses, grad_input: grad };
}
