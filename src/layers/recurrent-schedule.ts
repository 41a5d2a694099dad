import { WebRnnError } from '../errors.js';
import { forwardOnlyOption, type ResolvedConfig } from './recurrent-config.js';
import type { Engine } from '../gpu/engine.js';
import type { Precision, StepVariant } from '../gpu/kernel-variants.js';
import type { Candidate } from '../gpu/tuner.js';
import type { ParameterStore } from './parameter-store.js';
import { RecurrentPlan, type LayerOffsets } from './recurrent-plan.js';

/** How a layer's sweeps over time are dispatched (results are identical, bit for bit). */
export type RecurrentSchedule = 'auto' | 'per-step' | 'persistent';

/**
 * The 'auto' schedule's choice: the persistent sweep when the per-step grid (⌈H/64⌉·⌈B/4⌉·D
 * workgroups of 64) is small, so that per-dispatch overhead outweighs the parallelism given up.
 */
export function persistentWins(H: number, B: number, D: number): boolean {
  return Math.ceil(H / 64) * Math.ceil(B / 4) * D <= PERSISTENT_MAX_GRID;
}
const PERSISTENT_MAX_GRID = 2;

/** The step kernel whose variants are a recurrent layer's schedules (src/gpu/kernel-variants.ts). */
export function stepKernelOf(c: ResolvedConfig): 'lstm_step_fwd' | 'gru_step_fwd' | 'rnn_step_fwd' {
  return c.mode === 'LSTM' ? 'lstm_step_fwd' : c.mode === 'GRU' ? 'gru_step_fwd' : 'rnn_step_fwd';
}

/** The largest batch and hidden size the split-K step variant runs (a grid too small to fill a GPU). */
export const SPLIT_K_MAX = { B: 16, H: 512 };

/** Why a step variant cannot run a config at batch B, or undefined when it can. */
export function stepVariantRefusal(c: ResolvedConfig, v: StepVariant, B: number, precision: Precision = 'f32'): string | undefined {
  if (precision === 'f16-weights' && (v === 'coalesced' || v === 'split-k')) return `precision 'f16-weights' runs the per-step and persistent variants only (${v} has no f16 twin)`;
  if (v === 'split-k') {
    return B > SPLIT_K_MAX.B || c.hidden_size > SPLIT_K_MAX.H ? `split-k is for small grids (B ≤ ${SPLIT_K_MAX.B}, hidden_size ≤ ${SPLIT_K_MAX.H}); this one is B = ${B}, hidden_size ${c.hidden_size}` : undefined;
  }
  if (v !== 'persistent') return undefined;
  if (c.proj_size > 0) return `a projected LSTM (proj_size ${c.proj_size}) runs per step only: each step's projection needs every unit of the step before it`;
  if (c.mode === 'GRU' && !c.reset_after) return 'reset-before GRU (reset_after false) runs per step only: each step is two dispatches';
  return undefined;
}

/**
 * Throws the BAD_CONFIG of a schedule given in the options that can never run this config (checked
 * when the layer is made; a schedule that only some batch sizes refuse falls back in {@link stepVariantFor}).
 */
export function checkSchedule(c: ResolvedConfig, schedule: RecurrentSchedule): void {
  if (schedule === 'persistent' && c.proj_size > 0) {
    throw new WebRnnError('BAD_CONFIG', `recurrent options: schedule 'persistent' does not run a projected LSTM (proj_size ${c.proj_size}): each step's projection needs every unit of the step before it; use 'per-step' or 'auto'`);
  }
}

/**
 * The one decision of which step variant a layer's sweeps run at (T, B), consulted by Recurrent.forward:
 * a schedule given in the options ('per-step'; 'persistent' where the config allows it, else
 * 'per-step'), or for 'auto' the engine tuner's choice ({@link tunedStepVariant}).
 */
export function stepVariantFor(schedule: RecurrentSchedule, engine: Engine, c: ResolvedConfig, layers: readonly LayerOffsets[], store: ParameterStore, T: number, B: number, alive: () => boolean, precision: Precision = 'f32'): StepVariant {
  if (schedule !== 'auto') return schedule === 'persistent' && !stepVariantRefusal(c, 'persistent', B, precision) ? 'persistent' : 'per-step';
  return tunedStepVariant(engine, c, layers, store, T, B, alive, precision);
}

/**
 * The step variant a layer's sweeps run, as the engine's tuner says for its step kernel at (H, B, D)
 * (and R of a projected LSTM): forced — a forced variant that cannot run the config is a BAD_CONFIG
 * error —, restored or measured — per-step and persistent (where they apply) timed on a forward and BPTT of min(T, 64)
 * steps, the choice covering both sweeps, weight gradients going to a scratch buffer — or, until
 * measured and with tuning 'off', the {@link persistentWins} rule between 'per-step' and 'persistent'.
 * A restored choice that cannot run the config gives way to the rule.
 */
export function tunedStepVariant(engine: Engine, c: ResolvedConfig, layers: readonly LayerOffsets[], store: ParameterStore, T: number, B: number, alive: () => boolean, precision: Precision = 'f32'): StepVariant {
  const D = c.bidirectional ? 2 : 1;
  const kernel = stepKernelOf(c);
  const forced = engine.tuner.forcedVariant(kernel) as StepVariant | undefined;
  const refusal = forced && stepVariantRefusal(c, forced, B, precision);
  if (refusal) throw new WebRnnError('BAD_CONFIG', `kernels: ${kernel}=${forced} does not apply here: ${refusal}; force 'per-step'${precision === 'f32' ? " or 'coalesced'" : ''}, or leave ${kernel} to the tuner`);
  const rule: StepVariant = persistentWins(c.hidden_size, B, D) && !stepVariantRefusal(c, 'persistent', B) ? 'persistent' : 'per-step';
  // What the tuner times on its own: per-step and persistent. coalesced and split-k run when forced
  // (API, --kernels) or restored: timing four variants took 3–4.5 s per class on lavapipe and stalled a
  // short training run on SwiftShader for seconds (the demo's frame-gap test saw no step in 5 s), and
  // neither wins on a CPU adapter; they join the timed set once measured on a GPU (issue 13).
  const applicable = (['per-step', 'persistent'] as const).filter((v) => !stepVariantRefusal(c, v, B, precision));
  const candidates = () => {
    // Measurements run later, in the background: by then the layer may be gone, and a bind group of its
    // freed parameters is an error on some implementations (wgpu) even if never submitted.
    if (!alive()) throw new WebRnnError('DISPOSED', 'the layer was disposed before its schedules were timed');
    const Tt = Math.min(T, 64);
    const backward = forwardOnlyOption(c) === undefined;
    const plan = (variant: StepVariant): Candidate => {
      const grads = engine.createBuffer(store.grads.size, 'tuner:grads');
      let s: RecurrentPlan;
      try {
        s = new RecurrentPlan(engine, c, layers, store.params, grads, Tt, B, variant, precision);
      } catch (e) {
        engine.releaseBuffer(grads);
        throw e;
      }
      engine.writeBuffer(s.ws.lengths, 0, new Uint32Array(B).fill(Tt));
      if (backward) s.ensureBackward();
      const dispose = () => {
        s.dispose();
        engine.releaseBuffer(grads);
      };
      return { programs: backward ? [s.forward, s.backward!] : [s.forward], alive, dispose };
    };
    const built: Record<string, Candidate> = {};
    try {
      for (const v of applicable) built[v] = plan(v);
      return built;
    } catch (e) {
      for (const p of Object.values(built)) p.dispose(); // e.g. a DEVICE_LIMIT: what was built is freed, the measurement dropped
      throw e;
    }
  };
  const shape = `H${c.hidden_size} B${B} D${D}${c.proj_size > 0 ? ` R${c.proj_size}` : ''}${precision === 'f32' ? '' : ` ${precision}`}`;
  const v = engine.tuner.cell(kernel, shape, rule, applicable.length > 1 ? candidates : undefined).value as StepVariant;
  return stepVariantRefusal(c, v, B, precision) ? rule : v;
}
