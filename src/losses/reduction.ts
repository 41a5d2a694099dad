import type { Program } from '../gpu/program.js';
import type { Recorder } from '../gpu/recorder.js';
import * as shaders from '../gpu/shader-sources.gen.js';

/** Workgroup size of reduce_sum and of the fused elementwise losses. */
const WG = 256;
/** Elements one workgroup sums (16 per invocation) at the first level of every reduction. */
const MIN_CHUNK = 4096;

/**
 * The chunk length for one reduction level over n values: 4096, grown (in steps of 256) only when
 * that would need more workgroups than one grid dimension allows.
 *
 * @example reduceChunk(10_000) // 4096 -> 3 workgroups
 */
export function reduceChunk(n: number, maxGroups = 65535): number {
  return Math.max(MIN_CHUNK, WG * Math.ceil(n / (maxGroups * WG)));
}

/** Workgroups (= partial sums) one level over n values produces; at least 1, so n = 0 writes a 0. */
export function reduceGroups(n: number, chunk: number): number {
  return Math.max(1, Math.ceil(n / chunk));
}

/**
 * Records reduce_sum passes that bring the n values of `src` down to one, written at element 0 of
 * `dst`: each pass sums chunks of consecutive values in a fixed order, so the result is bit-identical
 * on every run. Temporary buffers come from (and are freed with) `rec`.
 *
 * @example
 * recordSum(rec, prog, rowLoss, N, loss, 'loss'); // one pass for N ≤ 4096, two up to 16.7 M
 */
export function recordSum(rec: Recorder, prog: Program, src: GPUBuffer, n: number, dst: GPUBuffer, label: string): void {
  const k = rec.engine.kernel(shaders.reduce_sum);
  let cur = src;
  let count = n;
  for (let level = 0; ; level++) {
    const chunk = reduceChunk(count, rec.engine.limits.maxComputeWorkgroupsPerDimension);
    const groups = reduceGroups(count, chunk);
    const out = groups === 1 ? dst : rec.buffer(groups * 4, `${label}:partials${level}`);
    prog.dispatch(k, [rec.bind(k, { n: count, chunk }, { a: cur, out }, `${label}:sum${level}`)], [groups, 1, 1]);
    if (groups === 1) return;
    cur = out;
    count = groups;
  }
}
