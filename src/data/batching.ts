/**
 * Batches of token sequences for recurrent models: padding into (T, B) or (B, T) Int32Arrays with
 * lengths (what Recurrent.forward's `lengths` and {@link sequenceMask} take), next-token targets for
 * language models, length bucketing, seeded shuffles, and the truncated-BPTT layout that cuts one
 * long token stream into B parallel streams read in consecutive (T, B) windows.
 */
import { WebRnnError } from '../errors.js';
import { Rng } from '../random.js';
import { describe, flag, intOption, MAX_ID, optionsOf, tokenIds } from '../checks.js';

/** PyTorch's default ignore_index: cross-entropy rows with this target count for nothing. */
export const IGNORE_INDEX = -100;

/** Token ids of one sequence. */
export type TokenSequence = Int32Array | Uint32Array | readonly number[];

/** How {@link padBatch} lays out a batch. */
export interface PadOptions {
  /** Id written in padded slots of `tokens` (default 0, the vocabulary's <PAD>). */
  pad_id?: number;
  /** (B, T) instead of the time-major (T, B) default. */
  batch_first?: boolean;
  /**
   * Language-model layout (default false): a sequence s of length L gives inputs s[0..L−2] and
   * targets s[1..L−1] (the next token), so its length is L − 1; needs L ≥ 2.
   */
  lm?: boolean;
  /** Target written in padded slots of `targets` (default −100, CrossEntropyLoss's ignore_index). */
  ignore_index?: number;
  /** Round T up to a multiple of this (default 1): fewer distinct shapes, fewer GPU plans rebuilt. */
  pad_to_multiple?: number;
}

/** A padded batch. Slot (t, b) is t·B + b in time-major layout, b·T + t in batch-first layout. */
export interface PaddedBatch {
  /** (T, B) or (B, T) input ids; pad_id after each row's length. */
  tokens: Int32Array;
  /** With `lm`: next-token ids, same layout; ignore_index after each row's length. Else undefined. */
  targets: Int32Array | undefined;
  /** (B) valid steps of each row, each in 1..T. */
  lengths: Int32Array;
  /** [T, B] or [B, T], the shape of tokens and targets. */
  shape: [number, number];
  T: number;
  B: number;
  batch_first: boolean;
  /** (B) position of each row's sequence in the list the batch was made from. */
  indices: Int32Array;
}

const PAD_KEYS = ['pad_id', 'batch_first', 'lm', 'ignore_index', 'pad_to_multiple'] as const;

interface PadSettings {
  pad_id: number;
  batch_first: boolean;
  lm: boolean;
  ignore_index: number;
  multiple: number;
}

function padSettings(what: string, o: PadOptions): PadSettings {
  const ignore = o.ignore_index ?? IGNORE_INDEX;
  if (typeof ignore !== 'number' || !Number.isInteger(ignore)) {
    throw new WebRnnError('BAD_VALUE', `${what}: ignore_index must be an integer, got ${describe(ignore)}`);
  }
  return {
    pad_id: intOption(what, 'pad_id', o.pad_id, { default: 0, min: 0, max: MAX_ID, voice: 'option' }),
    batch_first: flag(what, 'batch_first', o.batch_first, false, { voice: 'option' }),
    lm: flag(what, 'lm', o.lm, false, { voice: 'option' }),
    ignore_index: ignore,
    multiple: intOption(what, 'pad_to_multiple', o.pad_to_multiple, { default: 1, voice: 'option' }),
  };
}

/** Checked sequences as Int32Arrays, each long enough for the layout (≥ 1 step; ≥ 2 tokens with lm). */
function checkSequences(what: string, seqs: unknown, lm: boolean): Int32Array[] {
  if (!Array.isArray(seqs)) throw new WebRnnError('BAD_VALUE', `${what}: sequences must be an array of token-id sequences, got ${describe(seqs)}`);
  const min = lm ? 2 : 1;
  return seqs.map((s, i) => {
    const ids = tokenIds(what, `sequences[${i}]`, s);
    if (ids.length < min) {
      throw new WebRnnError(
        'BAD_SHAPE',
        `${what}: sequences[${i}] has ${ids.length} tokens; ${lm ? 'a language-model example needs ≥ 2 (inputs + next-token targets)' : 'a row needs ≥ 1 step'} (filter short ones out first)`,
      );
    }
    return ids;
  });
}

function pad(seqs: readonly Int32Array[], indices: Int32Array, s: PadSettings): PaddedBatch {
  const B = indices.length;
  const shift = s.lm ? 1 : 0;
  const lengths = new Int32Array(B);
  let T = 0;
  for (let b = 0; b < B; b++) {
    lengths[b] = seqs[indices[b]!]!.length - shift;
    T = Math.max(T, lengths[b]!);
  }
  T = Math.ceil(T / s.multiple) * s.multiple;
  const tokens = new Int32Array(T * B).fill(s.pad_id);
  const targets = s.lm ? new Int32Array(T * B).fill(s.ignore_index) : undefined;
  for (let b = 0; b < B; b++) {
    const seq = seqs[indices[b]!]!;
    for (let t = 0; t < lengths[b]!; t++) {
      const k = s.batch_first ? b * T + t : t * B + b;
      tokens[k] = seq[t]!;
      if (targets) targets[k] = seq[t + 1]!;
    }
  }
  return { tokens, targets, lengths, shape: s.batch_first ? [B, T] : [T, B], T, B, batch_first: s.batch_first, indices };
}

/**
 * Pads sequences into one batch, T = the longest row (rounded up to pad_to_multiple).
 * @example
 * const b = padBatch([[5, 6, 7], [8]]);      // time-major (T=3, B=2)
 * b.tokens;  // Int32Array [5, 8, 6, 0, 7, 0];  b.lengths: [3, 1]
 * const lm = padBatch([[1, 5, 6, 2], [1, 7, 2]], { lm: true, batch_first: true });
 * lm.tokens;  // (B=2, T=3) [1, 5, 6,  1, 7, 0]
 * lm.targets; //            [5, 6, 2,  7, 2, -100]
 */
export function padBatch(sequences: readonly TokenSequence[], opts?: PadOptions): PaddedBatch {
  const s = padSettings('padBatch', optionsOf('padBatch', opts, PAD_KEYS, { voice: 'option' }));
  const seqs = checkSequences('padBatch', sequences, s.lm);
  if (seqs.length === 0) throw new WebRnnError('BAD_SHAPE', 'padBatch: needs at least one sequence, got none');
  return pad(seqs, Int32Array.from(seqs.keys()), s);
}

/**
 * Shuffles in place with Fisher–Yates driven by `rng` (the same draws as Rng.permutation).
 * @example shuffleInPlace([1, 2, 3, 4], new Rng(7)) // a permutation, the same for seed 7 every run
 */
export function shuffleInPlace<A extends { length: number; [i: number]: unknown }>(a: A, rng: Rng): A {
  for (let k = a.length - 1; k > 0; k--) {
    const j = rng.int(0, k);
    const x = a[k];
    a[k] = a[j];
    a[j] = x;
  }
  return a;
}

/** How {@link planBatches} groups examples. */
export interface BatchPlanOptions {
  /** Examples per batch (the last may be smaller unless drop_last). */
  batch_size: number;
  /** Shuffle examples and then batch order (default false). Needs `seed`. */
  shuffle?: boolean;
  /** Seed of the shuffles (an integer); e.g. base seed + epoch for a new order each epoch. */
  seed?: number;
  /**
   * Bucket by length (default false): examples are cut into pools of bucket_pool·batch_size (after
   * the shuffle), each pool sorted by length (stable, so equal lengths keep the shuffled order),
   * then cut into batches — rows of a batch have similar lengths and little padding.
   */
  bucket?: boolean;
  /** Batches per bucketing pool (default 100, as torchtext's BucketIterator). Larger = less padding, less randomness. */
  bucket_pool?: number;
  /** Leave out the last batch when it is smaller than batch_size (default false). */
  drop_last?: boolean;
}

const PLAN_KEYS = ['batch_size', 'shuffle', 'seed', 'bucket', 'bucket_pool', 'drop_last'] as const;

/**
 * Groups example indices into batches from the examples' lengths (padding nothing yet): optional
 * seeded shuffle of the examples, optional length bucketing, optional drop_last, then a seeded
 * shuffle of the batch order. Same options and seed, same plan, on every platform.
 * @example
 * const lengths = [5, 1, 4, 2];
 * planBatches(lengths, { batch_size: 2, bucket: true }); // [Int32Array [1, 3], Int32Array [2, 0]]
 * for (let epoch = 0; epoch < 3; epoch++) {
 *   for (const rows of planBatches(lengths, { batch_size: 2, shuffle: true, seed: epoch, bucket: true })) console.log(epoch, rows); // another order each epoch
 * }
 */
export function planBatches(lengths: ArrayLike<number>, opts: BatchPlanOptions): Int32Array[] {
  const o = optionsOf('planBatches', opts, PLAN_KEYS, { voice: 'option' });
  if (opts === undefined) throw new WebRnnError('BAD_VALUE', 'planBatches: options with batch_size are required');
  const batchSize = intOption('planBatches', 'batch_size', o.batch_size, { voice: 'option' });
  const shuffle = flag('planBatches', 'shuffle', o.shuffle, false, { voice: 'option' });
  const bucket = flag('planBatches', 'bucket', o.bucket, false, { voice: 'option' });
  const drop = flag('planBatches', 'drop_last', o.drop_last, false, { voice: 'option' });
  const pool = intOption('planBatches', 'bucket_pool', o.bucket_pool, { default: 100, voice: 'option' });
  if (o.seed !== undefined && (typeof o.seed !== 'number' || !Number.isInteger(o.seed))) {
    throw new WebRnnError('BAD_VALUE', `planBatches: seed must be an integer, got ${describe(o.seed)}`);
  }
  if (shuffle && o.seed === undefined) throw new WebRnnError('BAD_VALUE', 'planBatches: shuffle: true needs a seed (e.g. base seed + epoch), so runs reproduce');
  if (lengths === null || typeof lengths !== 'object' || typeof lengths.length !== 'number') {
    throw new WebRnnError('BAD_VALUE', `planBatches: lengths must be an array of non-negative integers, got ${describe(lengths)}`);
  }
  const n = lengths.length;
  for (let i = 0; i < n; i++) {
    const L = lengths[i];
    if (typeof L !== 'number' || !Number.isInteger(L) || L < 0) throw new WebRnnError('BAD_VALUE', `planBatches: lengths[${i}] must be a non-negative integer, got ${describe(L)}`);
  }
  const rng = shuffle ? new Rng(o.seed!) : undefined;
  const order = Array.from({ length: n }, (_, i) => i);
  if (rng) shuffleInPlace(order, rng);
  if (bucket) {
    const P = pool * batchSize;
    for (let p = 0; p < n; p += P) {
      const part = order.slice(p, p + P).sort((a, b) => lengths[a]! - lengths[b]!);
      for (let k = 0; k < part.length; k++) order[p + k] = part[k]!;
    }
  }
  const plan: Int32Array[] = [];
  for (let p = 0; p < n; p += batchSize) {
    if (drop && p + batchSize > n) break;
    plan.push(Int32Array.from(order.slice(p, p + batchSize)));
  }
  if (rng) shuffleInPlace(plan, rng);
  return plan;
}

/**
 * Fraction of padded slots over a plan's batches: Σ (max length·rows − Σ lengths) / Σ max length·rows
 * (0 for no batches).
 * @example paddingWaste([Int32Array.of(0, 1)], [4, 2]) // 0.25
 */
export function paddingWaste(plan: readonly Int32Array[], lengths: ArrayLike<number>): number {
  let slots = 0;
  let used = 0;
  for (const batch of plan) {
    let max = 0;
    for (const i of batch) {
      const L = lengths[i];
      if (L === undefined) throw new WebRnnError('BAD_SHAPE', `paddingWaste: the plan refers to example ${i}, but lengths has ${lengths.length}`);
      max = Math.max(max, L);
      used += L;
    }
    slots += max * batch.length;
  }
  return slots === 0 ? 0 : (slots - used) / slots;
}

/**
 * An epoch of padded batches: {@link planBatches} on the sequences' lengths, then {@link padBatch}
 * per batch, lazily (one batch in memory at a time). All inputs are checked before the first batch.
 * @example
 * const seqs = text.split('\n').map((line) => vocab.encode(line));
 * const ce = new CrossEntropyLoss(engine);
 * for (let epoch = 0; epoch < 2; epoch++) {
 *   for (const b of batches(seqs, { batch_size: 32, shuffle: true, seed: epoch, bucket: true, lm: true })) {
 *     const x = emb.forward(b.tokens, b.shape);
 *     const { output } = lstm.forward(x, { lengths: b.lengths });
 *     ce.forward(head.forward(output), b.targets!);
 *   }
 * }
 */
export function batches(sequences: readonly TokenSequence[], opts: BatchPlanOptions & PadOptions): Generator<PaddedBatch, void, undefined> {
  if (opts === undefined) throw new WebRnnError('BAD_VALUE', 'batches: options with batch_size are required');
  const o = optionsOf('batches', opts, [...PLAN_KEYS, ...PAD_KEYS], { voice: 'option' });
  const s = padSettings('batches', o);
  const seqs = checkSequences('batches', sequences, s.lm);
  const plan = planBatches(
    seqs.map((q) => q.length),
    { batch_size: o.batch_size!, shuffle: o.shuffle, seed: o.seed, bucket: o.bucket, bucket_pool: o.bucket_pool, drop_last: o.drop_last },
  );
  return (function* () {
    for (const idx of plan) yield pad(seqs, idx, s);
  })();
}

// ---- Truncated BPTT ----------------------------------------------------------------------------

/** How {@link bpttWindows} cuts a token stream. */
export interface BpttOptions {
  /** B: parallel streams (batch rows). */
  batch_size: number;
  /** T: time steps per window (the truncation length of backpropagation through time). */
  bptt: number;
  /** Leave out the last window when it is shorter than bptt (default false). */
  drop_last?: boolean;
  /** (B, T) windows instead of the time-major (T, B) default. */
  batch_first?: boolean;
}

/** Where the streams and windows of a truncated-BPTT layout lie. */
export interface BpttLayout {
  /** N: tokens in the whole stream. */
  tokens: number;
  /** B. */
  batch_size: number;
  /** T. */
  bptt: number;
  /** L = ⌊N / B⌋: tokens per stream; stream b is tokens [b·L, (b+1)·L). */
  stream_length: number;
  /** ⌈(L − 1) / T⌉ windows (⌊…⌋ with drop_last); window k holds inputs at stream positions k·T … */
  windows: number;
  /** N − B·L tokens at the end of the stream that belong to no stream. */
  dropped: number;
  drop_last: boolean;
  batch_first: boolean;
}

/** One (T, B) window of a truncated-BPTT layout. */
export interface BpttWindow {
  /** (T, B) or (B, T): inputs[t, b] = stream b at position offset + t. */
  inputs: Int32Array;
  /** Same layout: the next token, stream b at position offset + t + 1. */
  targets: Int32Array;
  /** [T, B] or [B, T]. */
  shape: [number, number];
  /** Steps in this window (bptt, or fewer in the last window). */
  T: number;
  B: number;
  /** Window number, from 0; reset the hidden state when it is 0, carry it (detached) otherwise. */
  index: number;
  /** Position of the first input within each stream (index · bptt). */
  offset: number;
  batch_first: boolean;
}

const BPTT_KEYS = ['batch_size', 'bptt', 'drop_last', 'batch_first'] as const;

/**
 * The truncated-BPTT layout of N tokens (PyTorch word_language_model's batchify + get_batch, and
 * char-rnn's): B streams of L = ⌊N/B⌋ consecutive tokens (stream b starts at token b·L), read T steps
 * at a time; window k has inputs at stream positions [kT, kT + T_k) and targets one further, with
 * T_k = min(T, L − 1 − kT). The last target of window k is the first input of window k + 1, so a
 * hidden state carried from window to window sees each stream in order. Throws BAD_SHAPE when the
 * stream is too short for one window.
 * @example bpttLayout(1001, { batch_size: 4, bptt: 35 }) // stream_length 250, windows 8 (7 of 35, 1 of 4), dropped 1
 */
export function bpttLayout(numTokens: number, opts: BpttOptions): BpttLayout {
  if (opts === undefined) throw new WebRnnError('BAD_VALUE', 'bpttLayout: options with batch_size and bptt are required');
  const o = optionsOf('bpttLayout', opts, BPTT_KEYS, { voice: 'option' });
  const N = intOption('bpttLayout', 'number of tokens', numTokens, { min: 0, voice: 'option' });
  const B = intOption('bpttLayout', 'batch_size', o.batch_size, { voice: 'option' });
  const T = intOption('bpttLayout', 'bptt', o.bptt, { voice: 'option' });
  const drop = flag('bpttLayout', 'drop_last', o.drop_last, false, { voice: 'option' });
  const batchFirst = flag('bpttLayout', 'batch_first', o.batch_first, false, { voice: 'option' });
  const L = Math.floor(N / B);
  const windows = L < 2 ? 0 : drop ? Math.floor((L - 1) / T) : Math.ceil((L - 1) / T);
  if (windows === 0) {
    throw new WebRnnError(
      'BAD_SHAPE',
      `bpttLayout: a stream of ${N} tokens in ${B} streams gives ${L} tokens per stream; ` +
        `one window needs ≥ ${drop ? T + 1 : 2} per stream (≥ ${B * (drop ? T + 1 : 2)} tokens)`,
    );
  }
  return { tokens: N, batch_size: B, bptt: T, stream_length: L, windows, dropped: N - B * L, drop_last: drop, batch_first: batchFirst };
}

/** Steps in window `index` of a layout: min(T, L − 1 − index·T). */
export function bpttWindowSteps(layout: BpttLayout, index: number): number {
  return Math.min(layout.bptt, layout.stream_length - 1 - index * layout.bptt);
}

/**
 * Builds one window from B columns of T + 1 consecutive stream tokens each (inputs = the first T,
 * targets = the last T). The in-memory and the file-streaming chunkers both assemble windows with it.
 * @example
 * windowFromColumns([Int32Array.of(1, 2, 3), Int32Array.of(7, 8, 9)], 0, 0, false);
 * // inputs (T=2, B=2) [1, 7, 2, 8], targets [2, 8, 3, 9]
 */
export function windowFromColumns(columns: readonly ArrayLike<number>[], index: number, offset: number, batch_first: boolean): BpttWindow {
  const B = columns.length;
  if (B === 0) throw new WebRnnError('BAD_SHAPE', 'windowFromColumns: needs at least one column');
  const T = columns[0]!.length - 1;
  if (T < 1) throw new WebRnnError('BAD_SHAPE', `windowFromColumns: columns need ≥ 2 tokens (T + 1), got ${T + 1}`);
  const inputs = new Int32Array(T * B);
  const targets = new Int32Array(T * B);
  for (let b = 0; b < B; b++) {
    const col = columns[b]!;
    if (col.length !== T + 1) throw new WebRnnError('BAD_SHAPE', `windowFromColumns: column ${b} has ${col.length} tokens, column 0 has ${T + 1}`);
    for (let t = 0; t < T; t++) {
      const k = batch_first ? b * T + t : t * B + b;
      inputs[k] = col[t]!;
      targets[k] = col[t + 1]!;
    }
  }
  return { inputs, targets, shape: batch_first ? [B, T] : [T, B], T, B, index, offset, batch_first };
}

/**
 * The windows of {@link bpttLayout} over a token stream held in memory, lazily.
 * For streams larger than memory see openBpttFile (text-stream.node.ts).
 * @example
 * const ids = vocab.encode(text);
 * const ce = new CrossEntropyLoss(engine);
 * let h: Tensor | undefined;
 * for (const w of bpttWindows(ids, { batch_size: 32, bptt: 100 })) {
 *   // a new pass over the stream (index 0) starts from zeros
 *   const { output, h_n } = gru.forward(emb.forward(w.inputs, w.shape), { h0: w.index === 0 ? undefined : h });
 *   const { grad_input } = ce.forward(head.forward(output), w.targets);
 *   gru.backward({ grad_output: head.backward(grad_input).grad_input });
 *   opt.step();
 *   h?.dispose();
 *   h = h_n.clone();                                      // carried on, not backpropagated into
 * }
 */
export function bpttWindows(stream: TokenSequence, opts: BpttOptions): Generator<BpttWindow, void, undefined> {
  const ids = tokenIds('bpttWindows', 'stream', stream);
  const layout = bpttLayout(ids.length, opts);
  const { batch_size: B, bptt: T, stream_length: L } = layout;
  return (function* () {
    for (let k = 0; k < layout.windows; k++) {
      const steps = bpttWindowSteps(layout, k);
      const cols: Int32Array[] = [];
      for (let b = 0; b < B; b++) cols.push(ids.subarray(b * L + k * T, b * L + k * T + steps + 1));
      yield windowFromColumns(cols, k, k * T, layout.batch_first);
    }
  })();
}
