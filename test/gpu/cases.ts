// GPU-vs-reference cases shared by every host: Node (test/gpu.test.ts), Deno and headless Chromium
// (test/hosts/). Each case runs the shipped kernels through the public API on seeded random weights and
// inputs and compares with the float64 CPU reference (test/reference/). No test framework and no node:
// imports here: it must bundle for browsers and Deno.
//
// Tolerances (check.ts), as max |gpu − ref| / max |ref| over each tensor:
//   outputs, final states, loss values 2e-5; every gradient 1e-4;
//   optimizer weights and state 1e-5 (relative to max |w|); the reported global gradient norm 1e-6.
//
// The cases, by kind (the name of each starts with its kind, except the recurrent ones):
//   recurrent-cases.ts  RNN/GRU/LSTM stacks, every option, fixed and seeded random configurations
//   layer-cases.ts      dense:, embedding:, one-hot:
//   loss-cases.ts       cross-entropy: (both kernels), bce:, mse:
//   optim-cases.ts      optim: SGD/Adam/AdamW/Adagrad with clipping and the NaN/Inf skip
//   dropout-cases.ts    dropout: between stacked layers, masks from dropout-mask.ts
//   train-cases.ts      train: Embedding → LSTM → Dense → cross-entropy → Adam, end to end
//   conv-cases.ts       conv: the ONNX Conv kernel (conv2d_fwd) against the float64 CPU Conv
//   matmul-cases.ts     matmul: both GEMM variants on every flag/stride combination, forced, run twice
//   variant-cases.ts    variant: a subset of the cases above with each kernel variant forced
//   f16-cases.ts        f16-weights: a subset of the recurrent cases with precision 'f16-weights'
import type { Engine } from '../../src/gpu/engine.js';
import { type CaseResult } from './check.js';
import { convCases, runConvCase, type ConvCase } from './conv-cases.js';
import { dropoutCases, runDropoutCase, type DropoutCase } from './dropout-cases.js';
import { layerCases, runLayerCase, type LayerCase } from './layer-cases.js';
import { lossCases, runLossCase, type LossCase } from './loss-cases.js';
import { optimCases, runOptimCase, type OptimCase } from './optim-cases.js';
import { recurrentCases, runRecurrentCase, type RecurrentCase } from './recurrent-cases.js';
import { runTrainCase, trainCases, type TrainCase } from './train-cases.js';
import { matmulCases, runMatmulCase, type MatmulCase } from './matmul-cases.js';
import { variantCases, type VariantCase } from './variant-cases.js';
import { f16Cases } from './f16-cases.js';

export { TOL_FORWARD, TOL_GRAD, TOL_NORM, TOL_WEIGHTS, type CaseResult } from './check.js';
export type { ConvCase, DropoutCase, LayerCase, LossCase, MatmulCase, OptimCase, RecurrentCase, TrainCase, VariantCase };

/** One GPU case; `kind` says which runner takes it. */
export type GpuCase = RecurrentCase | LayerCase | LossCase | OptimCase | DropoutCase | TrainCase | ConvCase | MatmulCase | VariantCase;

/** Every case, in a fixed order. */
export function gpuCases(): GpuCase[] {
  const base = [...recurrentCases(), ...layerCases(), ...lossCases(), ...optimCases(), ...dropoutCases(), ...trainCases(), ...convCases()];
  return [...base, ...matmulCases(), ...variantCases(base), ...f16Cases(base)];
}

/** Runs one case on the engine; never throws (failures are reported in the result). */
export async function runGpuCase(engine: Engine, c: GpuCase): Promise<CaseResult> {
  try {
    switch (c.kind) {
      case 'recurrent':
        return await runRecurrentCase(engine, c);
      case 'dense':
      case 'embedding':
      case 'one-hot':
        return await runLayerCase(engine, c);
      case 'cross-entropy':
      case 'bce':
      case 'mse':
        return await runLossCase(engine, c);
      case 'optim':
        return await runOptimCase(engine, c);
      case 'dropout':
        return await runDropoutCase(engine, c);
      case 'train':
        return await runTrainCase(engine, c);
      case 'conv':
        return await runConvCase(engine, c);
      case 'matmul':
        return await runMatmulCase(engine, c);
      case 'variant': {
        const was = engine.subgroups;
        if (c.subgroups === false) engine.subgroups = false;
        try {
          const r = await engine.tuner.withForced(c.kernels, () => runGpuCase(engine, c.inner));
          // which sums split-k ran: subgroupAdd needs the device's `subgroups` feature
          const sums = Object.values(c.kernels).includes('split-k') ? ` [${engine.subgroups ? 'subgroup' : 'workgroup'} sums]` : '';
          return { ...r, name: c.name, detail: `${r.detail}${sums}` };
        } finally {
          engine.subgroups = was;
        }
      }
    }
  } catch (e) {
    // runCase never throws; this catches a runner failing before it gets there
    return { name: c.name, pass: false, detail: `threw: ${(e as Error).stack ?? e}` };
  }
}

/** Runs every case (or those whose name contains `filter`). */
export async function runGpuCases(engine: Engine, opts: { filter?: string; log?: (s: string) => void } = {}): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const c of gpuCases()) {
    if (opts.filter && !c.name.includes(opts.filter)) continue;
    const t0 = performance.now();
    const r = await runGpuCase(engine, c);
    r.ms = performance.now() - t0;
    opts.log?.(`${r.pass ? 'ok  ' : 'FAIL'} ${r.name}: ${r.detail} [${r.ms.toFixed(0)} ms]`);
    results.push(r);
  }
  return results;
}
