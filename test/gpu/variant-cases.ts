// Kernel variants, each forced by name, on a representative subset of the GPU cases (the full set
// under every variant would more than double the suite's time on 2 cores):
// - matmul=tiled (every GEMM: input projection, dX, dW_ih, dW_hh, Dense): each recurrent mode's
//   "2-layer bidirectional, lengths, h0" case, LSTM's and GRU's "H=67 B=9", every dense case, the
//   training run;
// - each step kernel's schedules (lstm_step_fwd, gru_step_fwd, rnn_step_fwd = per-step | persistent):
//   the "2-layer bidirectional, lengths, h0" case of each mode that kernel serves, and the training run
//   (LSTM) under both lstm_step_fwd schedules;
// - the coalesced (W_hhᵀ, h<t-1> staged in workgroup memory) and split-k (a workgroup per unit adding
//   partial sums over k in workgroup memory) step variants: those cases and reset-before
//   GRU's, LSTM's "H=67 B=9" (past a workgroup of units and a tile of k), the projected LSTM's
//   bidirectional cases (R ≠ H, peephole, R = 65 past a tile of k) and the training run, each run twice
//   and compared bit for bit (deterministic for a fixed variant). split-k runs them on the engine's
//   reduction (subgroupAdd where the device has `subgroups`, shared/split_k_sum.subgroups.wgsl) and a
//   subset of them (peephole, projection, both GRU forms, RNN, training) again with engine.subgroups =
//   false (the tree in workgroup memory, shared/split_k_sum.wgsl); each result says which sums ran. Its reverse sweep is split-K too (shared/step_split_k_bwd.wgsl), so the
//   gradient checks cover it.
// The register-blocked matmul is what the unforced cases run on lavapipe and SwiftShader (the tuner
// keeps it there) and every GEMM variant runs all flag/stride combinations in matmul-cases.ts.
import type { KernelVariants } from '../../src/gpu/kernel-variants.js';
import type { LayerCase } from './layer-cases.js';
import type { RecurrentCase } from './recurrent-cases.js';
import type { TrainCase } from './train-cases.js';

type Inner = RecurrentCase | LayerCase | TrainCase;

export interface VariantCase {
  kind: 'variant';
  name: string;
  kernels: KernelVariants;
  /** false: run with engine.subgroups off (split-k's workgroup-memory sums on a device with subgroups) */
  subgroups?: false;
  inner: Inner;
}

const STEP_KERNELS: [keyof KernelVariants, RegExp][] = [
  ['lstm_step_fwd', /^lstm(-peephole)? 2-layer bidirectional, lengths, h0$/],
  ['gru_step_fwd', /^gru 2-layer bidirectional, lengths, h0$/],
  ['rnn_step_fwd', /^rnn-(tanh|relu) 2-layer bidirectional, lengths, h0$/],
];

const COALESCED: [keyof KernelVariants, RegExp][] = [
  ['lstm_step_fwd', /^lstm(-peephole)? 2-layer bidirectional, lengths, h0$|^lstm H=67 B=9 |^lstm-proj (2-layer bidirectional|H=67 R=65)/],
  ['gru_step_fwd', /^gru(-reset-before)? 2-layer bidirectional, lengths, h0$/],
  ['rnn_step_fwd', /^rnn-(tanh|relu) 2-layer bidirectional, lengths, h0$/],
];

/** split-k cases run again with engine.subgroups = false (peephole, projection past tiles, both GRU forms, RNN). */
const WORKGROUP_SUMS = /^lstm-peephole 2-layer|^lstm-proj H=67 R=65|^gru|^rnn-relu/;

export function variantCases(base: readonly { kind: string; name: string }[]): VariantCase[] {
  const out: VariantCase[] = [];
  const add = (kernels: KernelVariants, inner: Inner, subgroups?: false) => {
    const forced = Object.entries(kernels).map(([k, v]) => `${k}=${v}`).join(',');
    const sums = subgroups === false ? ' (workgroup sums)' : '';
    out.push({ kind: 'variant', name: `variant ${forced}${sums}: ${inner.name}`, kernels, inner, ...(subgroups === false ? { subgroups } : {}) });
  };
  const recurrent = base.filter((c): c is RecurrentCase => c.kind === 'recurrent');
  const train = base.filter((c): c is TrainCase => c.kind === 'train');
  for (const c of recurrent) if (/^[a-z-]+ 2-layer bidirectional, lengths, h0$|^(lstm|gru) H=67 B=9 /.test(c.name)) add({ matmul: 'tiled' }, c);
  for (const c of base) if (c.kind === 'dense') add({ matmul: 'tiled' }, c as LayerCase);
  for (const c of train) add({ matmul: 'tiled' }, c);
  for (const [kernel, modes] of STEP_KERNELS) {
    for (const schedule of ['per-step', 'persistent'] as const) {
      for (const c of recurrent) if (modes.test(c.name)) add({ [kernel]: schedule }, c);
      if (kernel === 'lstm_step_fwd') for (const c of train) add({ [kernel]: schedule }, c);
    }
  }
  for (const [kernel, modes] of COALESCED) {
    for (const variant of ['coalesced', 'split-k'] as const) {
      for (const c of recurrent) if (modes.test(c.name)) add({ [kernel]: variant }, { ...c, twice: true });
      if (kernel === 'lstm_step_fwd') for (const c of train) add({ [kernel]: variant }, c);
    }
    // the workgroup-memory sums where the engine would use subgroupAdd: a case per kernel and form
    for (const c of recurrent) if (modes.test(c.name) && WORKGROUP_SUMS.test(c.name)) add({ [kernel]: 'split-k' }, { ...c, twice: true }, false);
    if (kernel === 'lstm_step_fwd') for (const c of train) add({ [kernel]: 'split-k' }, c, false);
  }
  return out;
}
