/**
 * CSR groupings of batch entries by id, the CPU half of weighted_segment_sum (shaders/): the sparse,
 * deterministic gradients of embedding tables without atomics.
 */
import type { Engine } from '../gpu/engine.js';
import type { Program } from '../gpu/program.js';
import type { Recorder } from '../gpu/recorder.js';
import { foldedGrid } from '../layers/grid.js';
import * as shaders from '../gpu/shader-sources.gen.js';

export const NO_ID = 0xffffffff;

/**
 * Where one grouping lives in a u32 index buffer: ids (U_max), offs (U_max + 1), ent (M), rows (M),
 * in that order from `offset` (elements).
 */
export class SegmentLayout {
  readonly idsOff: number;
  readonly offsOff: number;
  readonly entOff: number;
  readonly rowsOff: number;
  /** Elements the grouping occupies. */
  readonly length: number;

  constructor(
    readonly offset: number,
    readonly Umax: number,
    readonly M: number,
  ) {
    this.idsOff = offset;
    this.offsOff = offset + Umax;
    this.entOff = this.offsOff + Umax + 1;
    this.rowsOff = this.entOff + M;
    this.length = 2 * Umax + 1 + 2 * M;
  }

  /**
   * Groups M entries by keys[p] (ids in first-seen order, entries of an id in increasing p) and writes
   * ids (unused slots NO_ID), offsets, entry indices and source rows into `index` at this layout.
   * `stamp` / `slot` are scratch arrays of at least V entries reused across calls.
   */
  fill(index: Uint32Array, keys: ArrayLike<number>, rows: ArrayLike<number>, scratch: SegmentScratch): number {
    const { M, Umax } = this;
    const gen = scratch.next();
    const { stamp, slot, count } = scratch;
    let U = 0;
    for (let p = 0; p < M; p++) {
      const k = keys[p];
      if (stamp[k] !== gen) {
        stamp[k] = gen;
        slot[k] = U;
        index[this.idsOff + U] = k;
        count[U] = 0;
        U++;
      }
      count[slot[k]]++;
    }
    index.fill(NO_ID, this.idsOff + U, this.idsOff + Umax);
    let acc = 0;
    for (let u = 0; u < U; u++) {
      index[this.offsOff + u] = acc;
      const c = count[u];
      count[u] = acc; // becomes the write cursor
      acc += c;
    }
    index.fill(acc, this.offsOff + U, this.offsOff + Umax + 1);
    for (let p = 0; p < M; p++) {
      const u = slot[keys[p]];
      const at = count[u]++;
      index[this.entOff + at] = p;
      index[this.rowsOff + at] = rows[p];
    }
    return U;
  }

  /** Records weighted_segment_sum over this grouping: out rows (F wide) at outOff from src rows at srcOff. */
  record(rec: Recorder, prog: Program, engine: Engine, p: { F: number; srcOff: number; outOff: number; unit?: boolean }, bufs: { index: GPUBuffer; coef: GPUBuffer; src: GPUBuffer; out: GPUBuffer }, label: string): void {
    const k = engine.kernel(shaders.weighted_segment_sum);
    const g = rec.bind(k, {
      F: p.F, U_max: this.Umax, ids_off: this.idsOff, offs_off: this.offsOff, ent_off: this.entOff, rows_off: this.rowsOff,
      src_off: p.srcOff, out_off: p.outOff, unit_src: p.unit ? 1 : 0,
    }, bufs, label);
    prog.dispatch(k, [g], foldedGrid(engine, Math.ceil((this.Umax * p.F) / 64)));
  }
}

/** Scratch arrays for {@link SegmentLayout.fill}, sized for a vocabulary of V ids and M entries. */
export class SegmentScratch {
  readonly stamp: Uint32Array;
  readonly slot: Uint32Array;
  readonly count: Uint32Array;
  private gen = 0;

  constructor(V: number, M: number) {
    this.stamp = new Uint32Array(V);
    this.slot = new Uint32Array(V);
    this.count = new Uint32Array(Math.min(V, M) + 1);
  }

  next(): number {
    this.gen = (this.gen + 1) >>> 0;
    if (this.gen === 0) {
      this.stamp.fill(0);
      this.gen = 1;
    }
    return this.gen;
  }
}
