/**
 * A TensorFlow.js model.json and its weight files (the `weightsManifest` groups' `paths`, relative to
 * model.json) read into {@link TfjsArtifacts}. The reader is passed in, so this runs wherever files
 * can be fetched (Node's readFile, a browser's fetch).
 */
import { WebRnnError } from '../../errors.js';
import { weightsManifest } from './manifest.js';
import type { TfjsArtifacts } from './model.js';

interface ModelJson {
  modelTopology?: unknown;
  weightsManifest?: { paths: string[]; weights: TfjsArtifacts['weightSpecs'] }[];
}

/**
 * Reads model.json at `path` and its weight files.
 *
 * @example
 * const art = await readTfjsModelFiles('model/model.json', async (p) => new Uint8Array(await (await fetch(p)).arrayBuffer()));
 * const model = TfjsModel.fromArtifacts(art, 'model/model.json');
 */
export async function readTfjsModelFiles(path: string, read: (path: string) => Promise<Uint8Array>): Promise<TfjsArtifacts> {
  let json: ModelJson;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(await read(path))) as ModelJson;
  } catch (e) {
    if (e instanceof WebRnnError) throw e;
    throw new WebRnnError('BAD_FILE', `${path}: not a JSON model file (${(e as Error).message})`);
  }
  if (!json || typeof json !== 'object' || !json.modelTopology) throw new WebRnnError('BAD_FILE', `${path}: no modelTopology (is this a tfjs LayersModel model.json?)`);
  const groups = weightsManifest(json.weightsManifest, path);
  const dir = path.includes('/') ? path.slice(0, path.lastIndexOf('/') + 1) : '';
  const parts: Uint8Array[] = [];
  for (const g of groups) {
    for (const p of g.paths) {
      if (p.includes('..') || p.startsWith('/')) throw new WebRnnError('BAD_FILE', `${path}: weight path "${p}" leaves the model's folder`);
      parts.push(await read(dir + p));
    }
  }
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  if (total > 2 ** 32) throw new WebRnnError('BAD_FILE', `${path}: the weight files hold ${total} bytes together, more than the 4 GiB one buffer can hold`);
  const weightData = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    weightData.set(p, off);
    off += p.byteLength;
  }
  return { modelTopology: json.modelTopology, weightSpecs: groups.flatMap((g) => g.weights), weightData };
}

/** model.json's text for artifacts, with one weight file `weightsPath` holding artifacts.weightData. */
export function tfjsModelJson(art: TfjsArtifacts, weightsPath = 'weights.bin'): string {
  return JSON.stringify({
    modelTopology: art.modelTopology,
    format: 'layers-model',
    generatedBy: 'webrnn',
    convertedBy: null,
    weightsManifest: [{ paths: [weightsPath], weights: art.weightSpecs }],
  });
}
