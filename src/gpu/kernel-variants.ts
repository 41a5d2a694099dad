import { WebRnnError } from '../errors.js';

/**
 * Every kernel entry point that has variants (same math, different schedules), with its variants. The
 * first variant is today's fixed choice — what `tuning: 'off'` records (for the step kernels, 'off'
 * keeps the fixed grid rule of recurrent-schedule.ts `persistentWins` instead of one variant).
 *
 * - `matmul`: `register-blocked` (shaders/matmul.wgsl: 4×4 per invocation, no workgroup memory) or
 *   `tiled` (shaders/matmul_tiled.wgsl: 64×64 tiles per 256-invocation workgroup staged through
 *   workgroup memory). Applies to every GEMM of the library (Recorder.matmul).
 * - `lstm_step_fwd`, `gru_step_fwd`, `rnn_step_fwd`: how a recurrent layer's sweeps over time are
 *   dispatched — `per-step` (one dispatch per step), `persistent` (one dispatch per sweep; not for a
 *   projected LSTM nor reset-before GRU), `coalesced` (one dispatch per step reading W_hhᵀ, laid out
 *   once per forward, so neighbouring invocations read neighbouring addresses, with h<t-1> staged in
 *   workgroup memory: shared/step_coalesced_fwd.wgsl) or `split-k` (one dispatch per step, a
 *   workgroup per hidden unit whose invocations split the product over k: shared/step_split_k_fwd.wgsl;
 *   only for small grids, B ≤ 16 and H ≤ 512); the choice covers the forward sweep and the matching
 *   BPTT sweep (`*_step_bwd`) of that layer: for `coalesced` per step with the gate-gradient rows
 *   staged in workgroup memory and W_hh rows read by consecutive units (shared/step_coalesced_bwd.wgsl);
 *   for `split-k` per step, a workgroup per 4 units × 4 batch rows whose invocations split
 *   dh<t-1> = Σ_m dG<t>[m]·W_hh[m, j] over the G·H gate rows (W_hr's R rows for a projected LSTM;
 *   shared/step_split_k_bwd.wgsl). split-k's partial sums are added with `subgroupAdd` and then across
 *   subgroups in workgroup memory where the device has the `subgroups` feature (which the engine
 *   requests), else by a fixed tree in workgroup memory (shared/split_k_sum.wgsl and its subgroups
 *   twin); `engine.subgroups = false` or `createEngine({ subgroups: false })` forces the tree. The
 *   layer records which ran (reduction 'subgroup' | 'workgroup'); either is bit-identical run to run
 *   on a fixed adapter (checked on lavapipe).
 *
 * @example
 * // forward and BPTT of every LSTM split-K, its sums by the workgroup-memory tree even where subgroups exist
 * const treeSums = await createEngine({ kernels: { lstm_step_fwd: 'split-k' }, subgroups: false });
 */
export const KERNEL_VARIANTS = {
  matmul: ['register-blocked', 'tiled'],
  lstm_step_fwd: ['per-step', 'persistent', 'coalesced', 'split-k'],
  gru_step_fwd: ['per-step', 'persistent', 'coalesced', 'split-k'],
  rnn_step_fwd: ['per-step', 'persistent', 'coalesced', 'split-k'],
} as const satisfies Record<string, readonly string[]>;

/**
 * How a recurrent layer stores the weights its kernels read: 'f32' (default), or 'f16-weights' — an f16
 * copy of the layer's parameters (shaders/pack_f16.wgsl, written once per forward) read by the `_f16`
 * twins of the GEMM and step kernels with f32 accumulation; master weights, gradients and optimizer stay
 * f32. Needs the adapter feature shader-f16 (engine.precisions lists what this engine runs).
 */
export type Precision = 'f32' | 'f16-weights';

/** Every {@link Precision}. */
export const PRECISIONS: readonly Precision[] = ['f32', 'f16-weights'];

/** A variant of the recurrent step kernels (how a layer's sweeps run). */
export type StepVariant = (typeof KERNEL_VARIANTS)['lstm_step_fwd'][number];

/** A kernel entry point with variants. */
export type VariantKernel = keyof typeof KERNEL_VARIANTS;

/** Variants forced by name, e.g. `{ matmul: 'tiled', lstm_step_fwd: 'persistent' }`. */
export type KernelVariants = { [K in VariantKernel]?: (typeof KERNEL_VARIANTS)[K][number] };

/** Whether the engine times kernel variants on first use ('auto', the default) or keeps today's fixed choices ('off'). */
export type TuningMode = 'auto' | 'off';

/**
 * The tuner's choices, as JSON: per kernel, per shape class, the variant that won on `adapter`.
 * Store it (e.g. in localStorage) and pass it back as `createEngine({ kernelChoices })` so a page does
 * not time the variants again on each visit.
 */
export interface KernelChoices {
  /** The adapter the choices were measured on (engine.adapterName); other adapters ignore them. */
  adapter: string;
  /** kernel → shape class → variant */
  choices: { [kernel: string]: { [shapeClass: string]: string } };
}

const KNOWN = Object.keys(KERNEL_VARIANTS) as VariantKernel[];

/** The variants of a kernel, or undefined when it has none. */
export function variantsOf(kernel: string): readonly string[] | undefined {
  return Object.hasOwn(KERNEL_VARIANTS, kernel) ? KERNEL_VARIANTS[kernel as VariantKernel] : undefined;
}

/** Checks a `kernels` option (API or CLI): every name a kernel with variants, every value one of its variants. */
export function checkKernelVariants(where: string, v: unknown): KernelVariants {
  if (v === undefined) return {};
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new WebRnnError('BAD_CONFIG', `${where}: kernels must be an object of kernel name → variant, e.g. { matmul: 'tiled' }`);
  for (const [k, variant] of Object.entries(v)) {
    const vs = variantsOf(k);
    if (!vs) throw new WebRnnError('BAD_CONFIG', `${where}: no kernel "${k}" has variants (kernels with variants: ${KNOWN.join(', ')})`);
    if (!vs.includes(variant as string)) throw new WebRnnError('BAD_CONFIG', `${where}: kernel ${k} has no variant ${JSON.stringify(variant)} (its variants: ${vs.join(', ')})`);
  }
  return v as KernelVariants;
}

/** Parses the CLI's `--kernels name=variant,…` into a checked {@link KernelVariants}. */
export function parseKernelVariants(flag: string, text: string): KernelVariants {
  const out: Record<string, string> = {};
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new WebRnnError('BAD_CONFIG', `${flag}: expected name=variant[,name=variant…], got "${part}" (kernels with variants: ${KNOWN.map((k) => `${k}=${KERNEL_VARIANTS[k].join('|')}`).join(', ')})`);
    out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return checkKernelVariants(flag, out);
}

/** Checks a `kernelChoices` option (what engine.kernelChoices() returned, maybe read back from storage). */
export function checkKernelChoices(where: string, v: unknown): KernelChoices | undefined {
  if (v === undefined) return undefined;
  const bad = (why: string) => new WebRnnError('BAD_CONFIG', `${where}: kernelChoices ${why}; pass what engine.kernelChoices() returned`);
  if (v === null || typeof v !== 'object') throw bad('must be an object { adapter, choices }');
  const c = v as Partial<KernelChoices>;
  if (typeof c.adapter !== 'string') throw bad('needs an adapter name (a string)');
  if (c.choices === null || typeof c.choices !== 'object') throw bad('needs choices (kernel → shape class → variant)');
  for (const [k, classes] of Object.entries(c.choices)) {
    const vs = variantsOf(k);
    if (!vs) throw bad(`names kernel "${k}", which has no variants (kernels with variants: ${KNOWN.join(', ')})`);
    if (classes === null || typeof classes !== 'object') throw bad(`.choices.${k} must be an object of shape class → variant`);
    for (const [cls, variant] of Object.entries(classes)) {
      if (!vs.includes(variant)) throw bad(`.choices.${k}["${cls}"] is ${JSON.stringify(variant)}, not a variant of ${k} (${vs.join(', ')})`);
    }
  }
  return c as KernelChoices;
}
