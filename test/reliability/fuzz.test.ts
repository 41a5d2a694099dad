// Untrusted files: a seeded fuzzer mutates valid safetensors files, checkpoints and vocabulary JSON
// thousands of times — bit flips, byte stores, truncations, extensions, a forged header length, and
// structured header edits (huge, negative, fractional and non-numeric shapes and offsets, unknown
// dtypes, prototype keys, slot names that address Object.prototype or a billionth block, nested
// metadata JSON with absurd model sizes). Every case must end in a typed WebRnnError or a correct load
// — never another exception, a hang (each case is timed), a large allocation (ArrayBuffer and RSS
// growth are measured) or a polluted prototype. A checkpoint that still parses is restored into a
// model on the GPU, which must not raise a GPU error either.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  Adam,
  createEngine,
  parseCheckpoint,
  parseSafetensors,
  restoreCheckpoint,
  SequenceModel,
  serializeSafetensors,
  Vocab,
  WebRnnError,
  type Engine,
  type SafeTensor,
  type SequenceModelConfig,
} from '../../src/index.js';
import { checkpointBytes } from '../../src/model/checkpoint.js';
import { Rng } from '../../src/random.js';
import { LONG_RUN_CASES, MB, mutateJson, pick, run } from './fuzz-kit.js';

const BUDGET_MS = LONG_RUN_CASES ? Infinity : 15_000; // the whole fuzz run; every kind gets its share

const CONFIG: SequenceModelConfig = {
  embedding: { num_embeddings: 9, embedding_dim: 4 },
  rnn: { mode: 'GRU', input_size: 4, hidden_size: 5 },
  linear: { in_features: 5, out_features: 9 },
  loss: 'cross_entropy',
  target: 'all_steps',
};

let engine: Engine;
let checkpoint: Uint8Array;
let model: SequenceModel;
let opt: Adam;
beforeAll(async () => {
  engine = await createEngine();
  model = new SequenceModel(engine, CONFIG, { seed: 1 });
  opt = new Adam(engine, model.blocks(), { lr: 1e-2 });
  model.lossAndGrad({ B: 2, T: 3, tokens: Int32Array.of(1, 2, 3, 4, 5, 6), targets: Int32Array.of(2, 3, 4, 5, 6, 7) });
  await opt.stepChecked();
  checkpoint = await checkpointBytes(model, opt, { step: 1, epoch: 0, note: 'fuzz seed' });
});
afterAll(() => {
  opt?.dispose();
  model?.dispose();
  engine?.dispose();
});

function tensorsFile(): Uint8Array {
  const t: Record<string, SafeTensor> = {
    w: { dtype: 'F32', shape: [3, 4], data: Float32Array.from({ length: 12 }, (_, i) => i / 7) },
    h: { dtype: 'F16', shape: [5], data: Uint16Array.of(0x3c00, 0x4000, 0x7c00, 0x0001, 0x8000) },
    ids: { dtype: 'I64', shape: [2, 2], data: BigInt64Array.of(1n, -2n, 3n, 2n ** 40n) },
    mask: { dtype: 'BOOL', shape: [3], data: Uint8Array.of(1, 0, 1) },
    scalar: { dtype: 'F64', shape: [], data: Float64Array.of(Math.PI) },
    empty: { dtype: 'U8', shape: [0, 7], data: new Uint8Array(0) },
  };
  return serializeSafetensors(t, { producer: 'fuzz', note: 'valid' });
}

const VOCAB = JSON.stringify(Vocab.fromText('the quick brown fox jumps over the lazy dog. THE END!', { level: 'char' }).toJSON());

// ---------------------------------------------------------------------------------------------
// mutations

function splitFile(bytes: Uint8Array): { header: Record<string, unknown>; data: Uint8Array } {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, unknown>;
  return { header, data: bytes.subarray(8 + n) };
}

function joinFile(header: unknown, data: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

/** One mutated copy of `seed`. */
function mutate(rng: Rng, seed: Uint8Array, structured: boolean): Uint8Array {
  const kind = rng.int(0, structured ? 9 : 5);
  const b = seed.slice();
  const headerEnd = 8 + Number(new DataView(seed.buffer, seed.byteOffset).getBigUint64(0, true));
  switch (kind) {
    case 0: // bit flips, mostly in the header
      for (let k = rng.int(1, 8); k > 0; k--) {
        const at = rng.next() < 0.8 ? rng.int(0, Math.min(headerEnd, b.length) - 1) : rng.int(0, b.length - 1);
        b[at] ^= 1 << rng.int(0, 7);
      }
      return b;
    case 1: // byte stores
      for (let k = rng.int(1, 4); k > 0; k--) b[rng.int(0, b.length - 1)] = pick(rng, [0, 0xff, 0x7f, 0x22, 0x5b, 0x7b, 0x2d, 0x39]);
      return b;
    case 2: // truncation
      return b.subarray(0, rng.int(0, b.length - 1));
    case 3: // extension
      return Uint8Array.from([...b, ...Array.from({ length: rng.int(1, 64) }, () => rng.int(0, 255))]);
    case 4: {
      // a forged header length
      const v = new DataView(b.buffer);
      v.setBigUint64(0, BigInt(pick(rng, [0, 1, 2, 7, headerEnd - 9, headerEnd - 7, b.length, 2 ** 32, 1e8, 99_999_999, 2 ** 53])) , true);
      if (rng.next() < 0.3) v.setUint32(4, 0xffffffff, true);
      return b;
    }
    case 5: // random bytes in the data region
      for (let k = rng.int(1, 16); k > 0; k--) b[rng.int(headerEnd, Math.max(headerEnd, b.length - 1))] = rng.int(0, 255);
      return b;
    default: {
      // structured: edit the parsed header, then re-serialize it
      const { header, data } = splitFile(seed);
      for (let k = rng.int(1, 3); k > 0; k--) mutateJson(rng, header);
      let body = data;
      if (rng.next() < 0.2) body = data.subarray(0, rng.int(0, data.length));
      return joinFile(header, body);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// what must hold for every case

/** A parse that succeeded must be self-consistent: every tensor's data matches its shape and dtype. */
function checkParsed(bytes: Uint8Array): void {
  const f = parseSafetensors(bytes, { copy: true });
  for (const [name, t] of f.tensors) {
    const n = t.shape.reduce((a, d) => a * d, 1);
    if (t.data.length !== n) throw new Error(`tensor ${name}: ${t.data.length} values for shape [${t.shape}]`);
  }
  for (const [k, v] of Object.entries(f.metadata)) if (typeof v !== 'string') throw new Error(`metadata ${k} is not a string`);
  // the non-copying path reads the same bytes
  const g = parseSafetensors(bytes);
  for (const [name, t] of f.tensors) {
    const u = g.tensors.get(name)!;
    if (t.dtype !== u.dtype || t.data.byteLength !== u.data.byteLength) throw new Error(`tensor ${name} differs between copy and view`);
  }
}

function checkCheckpoint(bytes: Uint8Array): void {
  const c = parseCheckpoint(bytes, 'fuzzed');
  // parameters: exactly the config's, with their exact sizes
  const names = Object.keys(c.params);
  for (const n of names) if (!(c.params[n] instanceof Float32Array)) throw new Error(`param ${n} is not a Float32Array`);
  if (c.optimizer) {
    for (const [slot, arrays] of Object.entries(c.optimizer.slots)) {
      if (!Array.isArray(arrays) || arrays.some((a) => !(a instanceof Float32Array))) throw new Error(`slot ${slot} is not a list of Float32Arrays`);
    }
  }
  if (JSON.stringify(c.config) === JSON.stringify(CONFIG)) {
    // the same model: restoring is all-or-nothing and raises no GPU error (checked by the caller's scope)
    try {
      restoreCheckpoint(c, model, opt);
    } catch (e) {
      if (!(e instanceof WebRnnError)) throw e;
    }
  }
}

describe('fuzzing the file readers', () => {
  test('mutated safetensors files, checkpoints and vocabularies: typed errors or correct loads, bounded time and memory', async () => {
    const protoBefore = Object.getOwnPropertyNames(Object.prototype).sort().join();
    const rss0 = process.memoryUsage().rss;
    const start = performance.now();
    const share = (k: number) => start + (BUDGET_MS * k) / 4;
    const st = tensorsFile();
    checkParsed(st); // the seeds themselves load
    checkCheckpoint(checkpoint);
    Vocab.fromJSON(VOCAB);

    engine.device.pushErrorScope('validation');
    engine.device.pushErrorScope('internal');
    const results = {
      safetensors: await run('safetensors', LONG_RUN_CASES ?? 8000, share(1), (r) => mutate(r, st, true), (b) => checkParsed(b as Uint8Array), 1),
      'checkpoint (raw)': await run('checkpoint', LONG_RUN_CASES ?? 5000, share(2), (r) => mutate(r, checkpoint, false), (b) => checkCheckpoint(b as Uint8Array), 2),
      'checkpoint (header)': await run('checkpoint header', LONG_RUN_CASES ?? 6000, share(3), (r) => mutate(r, checkpoint, true), (b) => checkCheckpoint(b as Uint8Array), 3),
      vocab: await run('vocab', LONG_RUN_CASES ?? 5000, share(4), (r) => {
        const k = r.int(0, 3);
        if (k === 0) return VOCAB.slice(0, r.int(0, VOCAB.length));
        if (k === 1) {
          const a = [...VOCAB];
          a[r.int(0, a.length - 1)] = pick(r, ['"', '{', ']', '\\', '0', '9', ',', 'x', '\u0000']);
          return a.join('');
        }
        return JSON.stringify(mutateJson(r, JSON.parse(VOCAB)));
      }, (s) => void Vocab.fromJSON(s as string), 4),
    };
    expect(await engine.device.popErrorScope()).toBeNull();
    expect(await engine.device.popErrorScope()).toBeNull();
    const elapsed = performance.now() - start;
    const rssGrowth = (process.memoryUsage().rss - rss0) / MB;
    for (const [k, r] of Object.entries(results)) {
      console.log(`fuzz ${k}: ${r.ran} cases, ${r.ok} loaded, typed errors ${JSON.stringify(Object.fromEntries(r.typed))}, slowest ${r.slowest.toFixed(1)} ms`);
    }
    console.log(`fuzz: ${(elapsed / 1000).toFixed(1)} s, RSS ${rssGrowth >= 0 ? '+' : ''}${rssGrowth.toFixed(0)} MiB`);
    const total = Object.values(results).reduce((a, r) => a + r.ran, 0);
    expect(total).toBeGreaterThanOrEqual(2000);
    for (const r of Object.values(results)) expect(r.ran).toBeGreaterThanOrEqual(300);
    expect(rssGrowth).toBeLessThan(512);
    // nothing reached the prototypes
    expect(Object.getOwnPropertyNames(Object.prototype).sort().join()).toBe(protoBefore);
    expect(({} as Record<string, unknown>)[0]).toBeUndefined();
    expect((Object as unknown as Record<string, unknown>)[0]).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  }, LONG_RUN_CASES ? 86_400_000 : 60_000);

  test('targeted: slot names that address Object.prototype or a huge block index are BAD_FILE, without allocating for it', () => {
    const { header, data } = splitFile(checkpoint);
    const slot = Object.keys(header).find((k) => k.startsWith('optimizer.exp_avg.'))!;
    for (const name of ['optimizer.__proto__.0', 'optimizer.constructor.0', 'optimizer.exp_avg.999999999', 'optimizer.exp_avg.01', 'optimizer.exp_avg_sq.+1', 'optimizer.toString.0']) {
      const h = { ...header, [name]: header[slot] } as Record<string, unknown>;
      delete h[slot];
      const heap0 = process.memoryUsage().heapUsed;
      let err: unknown;
      try {
        parseCheckpoint(joinFile(h, data));
      } catch (e) {
        err = e;
      }
      expect(err, name).toBeInstanceOf(WebRnnError);
      expect((err as WebRnnError).code, name).toBe('BAD_FILE');
      // a block index of 999999999 must be rejected, not used to size an array
      expect((process.memoryUsage().heapUsed - heap0) / MB, name).toBeLessThan(64);
    }
    expect(({} as Record<string, unknown>)[0]).toBeUndefined();
    expect((Object as unknown as Record<string, unknown>)[0]).toBeUndefined();
  });

  test('targeted: optimizer metadata that is not what an optimizer wrote is BAD_FILE at parse time', () => {
    const { header, data } = splitFile(checkpoint);
    const meta = header.__metadata__ as Record<string, string>;
    const bad = [{ kind: 'RMSprop' }, { kind: 'Adagrad' }, { step: -1 }, { step: 1.5 }, { lr: 'fast' }, { options: null }, { kind: 'SGD' }];
    for (const change of bad) {
      const o = { ...JSON.parse(meta.optimizer), ...change };
      const file = joinFile({ ...header, __metadata__: { ...meta, optimizer: JSON.stringify(o) } }, data);
      expect(() => parseCheckpoint(file), JSON.stringify(change)).toThrow(WebRnnError);
      try {
        parseCheckpoint(file);
      } catch (e) {
        expect((e as WebRnnError).code).toBe('BAD_FILE');
      }
    }
  });
});
