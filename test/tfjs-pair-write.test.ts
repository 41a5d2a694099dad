// `webrnn convert … OUT.json` replaces a tfjs model (OUT.json + its weight file) as a pair: a full disk
// (ENOSPC, injected into open()) at either write leaves the old model.json with its own weights, and
// a completed write leaves only the new pair. Runs the command in-process so the fault reaches it.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { main } from '../src/cli/main.js';
import { readTfjsModelFiles } from '../src/interop/tfjs/files.js';
import { fsFault as fault } from './helpers/fs-fault.js';

vi.mock('node:fs/promises', (orig) => import('./helpers/fs-fault.js').then((m) => m.faultyFsPromises(orig)));
afterEach(() => {
  fault.code = undefined;
});

const TORCH = fileURLToPath(new URL('./fixtures-torch/', import.meta.url));
const A = join(TORCH, 'lstm_nobias_linear_nobias', 'state_dict.safetensors');
const B = join(TORCH, 'lstm_embedding_bidir_2layer', 'state_dict.safetensors');

async function convert(from: string, to: string): Promise<{ status: number; err: string }> {
  let err = '';
  const status = await main(['convert', from, to], { out: () => undefined, err: (s) => (err += s) });
  return { status, err };
}

/** model.json's topology and the bytes of the weights it references, read as a loader would. */
async function load(path: string): Promise<{ topology: string; weights: Uint8Array }> {
  const art = await readTfjsModelFiles(path, (p) => readFile(p));
  return { topology: JSON.stringify(art.modelTopology), weights: new Uint8Array(art.weightData as Uint8Array) };
}

describe('convert to tfjs replaces model.json and its weights as a pair', () => {
  test('ENOSPC on the weights or on model.json leaves the old pair; success leaves only the new one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'webrnn-tfjs-pair-'));
    const out = join(dir, 'm.json');
    const refA = join(dir, 'ref-a.json');
    const refB = join(dir, 'ref-b.json');
    for (const [src, to] of [[A, out], [A, refA], [B, refB]] as const) expect((await convert(src, to)).status).toBe(0);
    const a = await load(refA);
    const b = await load(refB);
    expect(a.weights.length).not.toBe(b.weights.length);

    for (const match of ['.m.json.', '.m.weights']) {
      fault.code = 'ENOSPC';
      fault.match = match;
      const r = await convert(B, out);
      fault.code = undefined;
      expect(r.status, match).toBe(1);
      const now = await load(out);
      expect(now.topology, match).toBe(a.topology);
      expect(Buffer.from(now.weights).equals(Buffer.from(a.weights)), `${match}: the old model.json reads its own weights`).toBe(true);
      expect(r.err, match).toMatch(/^webrnn: cannot write .*: no space left on the device/);
    }

    expect((await convert(B, out)).status).toBe(0);
    const now = await load(out);
    expect(now.topology).toBe(b.topology);
    expect(Buffer.from(now.weights).equals(Buffer.from(b.weights))).toBe(true);
    const mine = readdirSync(dir).filter((n) => n.startsWith('m.')).sort();
    const referenced = (JSON.parse(readFileSync(out, 'utf8')) as { weightsManifest: { paths: string[] }[] }).weightsManifest[0]!.paths[0]!;
    expect(mine).toEqual(['m.json', referenced].sort());
  });
});
