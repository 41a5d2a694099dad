/**
 * The weight manifest of a tfjs model.json, checked as untrusted input: `weightsManifest` a list of
 * groups, each with `paths` (strings) and `weights` (specs); every spec a name, a dtype and a shape of
 * non-negative integers whose bytes fit what is left of the weight data. A product that happens to
 * match the byte count does not excuse a negative or fractional dimension.
 */
import { WebRnnError } from '../../errors.js';
import { checkedSize } from '../onnx/value.js';
import type { TfjsArtifacts } from './model.js';

type WeightSpec = TfjsArtifacts['weightSpecs'][number];
/** One group of model.json's weightsManifest. */
export interface ManifestGroup {
  paths: string[];
  weights: WeightSpec[];
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * model.json's `weightsManifest` (absent: no weights) as checked groups; BAD_FILE naming what is wrong.
 * @example weightsManifest([{ paths: ['w.bin'], weights: [{ name: 'd/kernel', shape: [2, 3], dtype: 'float32' }] }], 'model.json')
 */
export function weightsManifest(v: unknown, source: string): ManifestGroup[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new WebRnnError('BAD_FILE', `${source}: weightsManifest must be a list of { paths, weights } groups, got ${describe(v)}`);
  return v.map((g: unknown, i) => {
    if (!isObject(g)) throw new WebRnnError('BAD_FILE', `${source}: weightsManifest[${i}] must be an object { paths, weights }, got ${describe(g)}`);
    const paths = g.paths ?? [];
    if (!Array.isArray(paths) || paths.some((p) => typeof p !== 'string' || p === '')) {
      throw new WebRnnError('BAD_FILE', `${source}: weightsManifest[${i}].paths must be a list of file names, got ${describe(paths)}`);
    }
    const weights = g.weights ?? [];
    if (!Array.isArray(weights)) throw new WebRnnError('BAD_FILE', `${source}: weightsManifest[${i}].weights must be a list of weight specs, got ${describe(weights)}`);
    return { paths: paths as string[], weights: weights as WeightSpec[] };
  });
}

/**
 * Checks one weight spec against the `left` bytes of weight data not yet claimed; returns its element
 * count. BAD_FILE for a spec that is not { name, shape, dtype }, a dimension that is not a non-negative
 * integer, or more bytes than are left.
 */
export function weightSpecSize(s: unknown, i: number, left: number, source: string): number {
  if (!isObject(s) || typeof s.name !== 'string') throw new WebRnnError('BAD_FILE', `${source}: weight spec ${i} must be an object { name, shape, dtype }, got ${describe(s)}`);
  if (!Array.isArray(s.shape)) throw new WebRnnError('BAD_FILE', `${source}: weight "${s.name}" has shape ${describe(s.shape)}; a shape is a list of non-negative integers`);
  return checkedSize(s.shape, `${source}: weight "${s.name}"`, Math.floor(left / 4), 'BAD_FILE', 'BAD_FILE', `the ${left} bytes of weight data left for it`);
}

function describe(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
