import type { Engine } from '../gpu/engine.js';

/**
 * Workgroup counts for `workgroups` workgroups laid out along one axis, folded into (x, y) when they
 * pass the device's per-dimension limit (65535 by default). Kernels recover the linear workgroup
 * index as wid.y · num_workgroups.x + wid.x and skip indices past the end (the last row may overhang).
 *
 * @example
 * foldedGrid(engine, Math.ceil((N * E) / 64)); // [x, y, 1] for embedding_gather
 */
export function foldedGrid(engine: Engine, workgroups: number): [number, number, number] {
  const lim = engine.limits.maxComputeWorkgroupsPerDimension;
  if (workgroups <= lim) return [workgroups, 1, 1];
  const x = lim;
  return [x, Math.ceil(workgroups / x), 1];
}
