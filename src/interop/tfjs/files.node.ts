/**
 * Node-only: a TensorFlow.js model.json and its weight files on disk. Reading keeps every weight file
 * inside the model's folder (real paths compared, so a symbolic link cannot lead out of it) and
 * bounded; writing replaces the pair so that a crash or a full disk at any moment leaves either the
 * old model.json with its old weights or the new one with the new weights — never a mix.
 */
import { realpath, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { WebRnnError } from '../../errors.js';
import { checkOutputTarget, writeFileAtomic } from '../../formats/atomic-write.js';
import { MAX_BINARY_BYTES, MAX_JSON_BYTES, readRegularFile } from '../../formats/file-read.js';
import { fsError } from '../../formats/fs-error.js';
import { readTfjsModelFiles, tfjsModelJson } from './files.js';
import type { TfjsArtifacts } from './model.js';

/**
 * Reads model.json at `path` and its weight files (each a regular file whose real path lies in the
 * real folder of model.json). `what` names the option in messages.
 *
 * @example
 * const model = TfjsModel.fromArtifacts(await readTfjsModelFromDisk('model/model.json'), 'model/model.json');
 */
export async function readTfjsModelFromDisk(path: string, what = '--model'): Promise<TfjsArtifacts> {
  const json = await readRegularFile(path, what, MAX_JSON_BYTES);
  let folder: string;
  try {
    folder = await realpath(dirname(resolve(path)));
  } catch (e) {
    throw fsError(e, `read ${what}`, path);
  }
  let first = true;
  return readTfjsModelFiles(path, async (p) => {
    if (first) {
      first = false;
      return json;
    }
    let real: string;
    try {
      real = await realpath(p);
    } catch (e) {
      throw fsError(e, 'read the weight file', p);
    }
    if (!real.startsWith(folder.endsWith(sep) ? folder : folder + sep)) {
      throw new WebRnnError('BAD_FILE', `${path}: weight file ${p} is ${real}, outside the model's folder ${folder} (weight files must lie in the folder of model.json)`);
    }
    return readRegularFile(real, 'the weight file', MAX_BINARY_BYTES);
  });
}

/** The two weight-file names a model OUT.json uses in turn: OUT.weights.bin and OUT.weights.1.bin. */
function weightNames(path: string): [string, string] {
  const base = basename(path, '.json');
  return [`${base}.weights.bin`, `${base}.weights.1.bin`];
}

/** The weight paths the model.json at `path` references now (none when it is missing or unreadable). */
async function referencedWeights(path: string): Promise<string[]> {
  try {
    const json = JSON.parse(new TextDecoder().decode(await readRegularFile(path, 'model.json', MAX_JSON_BYTES))) as { weightsManifest?: { paths?: unknown }[] };
    return (json.weightsManifest ?? []).flatMap((g) => (Array.isArray(g?.paths) ? g.paths.filter((p): p is string => typeof p === 'string') : []));
  } catch {
    return [];
  }
}

/**
 * Writes `art` as OUT.json (`path`) and one weight file beside it, replacing a model there as a pair:
 * the weights go to whichever of OUT.weights.bin / OUT.weights.1.bin the current OUT.json does not
 * reference (written atomically: temporary file, fsync, rename), then OUT.json is replaced atomically
 * to reference them, then the weight file the old OUT.json referenced is removed. Until OUT.json is
 * renamed the old pair is untouched; after, the new pair is complete. Returns the weight file's name.
 *
 * @example
 * await writeTfjsModelFiles('out/model.json', portableToTfjs(portable));
 */
export async function writeTfjsModelFiles(out: string, art: TfjsArtifacts): Promise<string> {
  // through a symbolic link: the weights go beside the file model.json really is
  const path = (await checkOutputTarget(out)).path;
  const old = await referencedWeights(path);
  const names = weightNames(path);
  const weights = names.find((n) => !old.includes(n))!;
  const data = art.weightData instanceof Uint8Array ? art.weightData : new Uint8Array(art.weightData);
  await writeFileAtomic(join(dirname(path), weights), data);
  await writeFileAtomic(path, new TextEncoder().encode(tfjsModelJson(art, weights)));
  // only a file of this scheme is removed: another name in the old manifest may be someone else's
  for (const n of old) if (n !== weights && names.includes(n)) await unlink(join(dirname(path), n)).catch(() => undefined);
  return weights;
}
