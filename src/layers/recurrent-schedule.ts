import { WebRnnError } from '../errors.js';
import { forwardOnlyOption, type ResolvedConfig } from './recurrent-config.js';
import type { Engine } from '../gpu/engine.js';
import type { Candidate } from '../gpu/tuner.js';
import type { ParameterStore } from './parameter-store.js';
import { persistentWins } from './recurrent.js';
import { RecurrentPlan, type LayerOffsets } from './recurrent-plan.js';

/** The step kernel whose variants are a recurrent layer's schedules (src/gpu/kernel-variants.ts). */
export function stepKernelOf(c: ResolvedConfig): 'lstm_step_fwd' | 'gru_step_fwd' | 'rnn_step_fwd' {
  return c.mode === 'LSTM' ? 'lstm_step_fwd' : c.mode === 'GRU' ? 'gru_step_fwd' : 'rnn_step_fwd';
}

/**
 * Whether a layer's sweeps run persistent, as the engine's tuner says for its step kernel at (H, B, D):
 * forced, restored or measured — both schedules timed on a forward and BPTT of min(T, 64) steps, the
 * choice covering both sweeps, weight gradients going to a scratch buffer — or, until measured and with
 * tuning 'off', the {@link persistentWins} rule. Reset-before GRU always runs per step: nothing is timed.
 */
export function tunedPersistent(engine: Engine, c: ResolvedConfig, layers: readonly LayerOffsets[], store: ParameterStore, T: number, B: number, alive: () => boolean): boolean {
  const D = c.bidirectional ? 2 : 1;
  const rule = persistentWins(c.hidden_size, B, D) ? 'persistent' : 'per-step';
  const canPersist = c.mode !== 'GRU' || c.reset_after;
  const candidates = () => {
    // Measurements run later, in the background: by then the layer may be gone, and a bind group of its
    // freed parameters is an error on some implementations (wgpu) even if never submitted.
    if (!alive()) throw new WebRnnError('DISPOSED', 'the layer was disposed before its schedules were timed');
    const Tt = Math.min(T, 64);
    const backward = forwardOnlyOption(c) === undefined;
    const plan = (persistent: boolean): Candidate => {
      const grads = engine.createBuffer(store.grads.size, 'tuner:grads');
      const s = new RecurrentPlan(engine, c, layers, store.params, grads, Tt, B, persistent);
      engine.device.queue.writeBuffer(s.lengths, 0, new Uint32Array(B).fill(Tt));
      if (backward) s.ensureBackward();
      const dispose = () => {
        s.dispose();
        engine.releaseBuffer(grads);
      };
      return { programs: backward ? [s.forward, s.backward!] : [s.forward], alive, dispose };
    };
    const perStep = plan(false);
    try {
      return { 'per-step': perStep, persistent: plan(true) };
    } catch (e) {
      perStep.dispose(); // e.g. a DEVICE_LIMIT: what was built is freed, the measurement dropped
      throw e;
    }
  };
  return engine.tuner.cell(stepKernelOf(c), `H${c.hidden_size} B${B} D${D}`, rule, canPersist ? candidates : undefined).value === 'persistent';
}
