import type { Recorder } from './recorder.js';

/** Bytes per element of what a workspace buffer holds. */
export const BYTES_PER_ELEMENT = { f32: 4, u32: 4, f16: 2 } as const;

/** The element type of a workspace buffer. */
export type WorkspaceDtype = keyof typeof BYTES_PER_ELEMENT;

/**
 * One row of a workspace table: a buffer of `elements` values of `dtype` (default f32), named `label`
 * on the GPU (default: the row's key). `perLayer: L` makes L buffers of that size (a `GPUBuffer[]`,
 * labelled label0 … label{L−1}); `when: false` makes none (undefined, or [] per layer).
 */
export interface WorkspaceRow {
  readonly elements: number;
  readonly dtype?: WorkspaceDtype;
  readonly when?: boolean;
  readonly perLayer?: number;
  readonly label?: string;
}

/** What a table allocates: a buffer per row, an array of them per per-layer row, undefined where `when` may be false. */
export type Workspace<T extends Record<string, WorkspaceRow>> = {
  readonly [K in keyof T]: T[K] extends { perLayer: number } ? GPUBuffer[] : T[K] extends { when: boolean } ? GPUBuffer | undefined : GPUBuffer;
};

/**
 * A declarative workspace: every buffer a plan needs, by name, with its element count, type and the
 * condition under which it exists (as llm.c's sizes array). Byte sizes are computed here once; {@link check}
 * tests every one against the device before {@link allocate} builds any, so a shape beyond the device fails
 * with a DEVICE_LIMIT naming the buffer and nothing is half-built. A new buffer is one new row.
 *
 * @example
 * const table = new WorkspaceTable({
 *   x: { elements: T * B * I },                                  // (T, B, I)
 *   gx: { elements: D * T * B * G * H, perLayer: L },            // (D, T, B, G·H) per layer
 *   cn: { elements: L * D * B * H, when: lstm, label: 'c_n' },   // (L·D, B, H), LSTM only
 * });
 * table.check(rec);
 * const ws = table.allocate(rec); // ws.x: GPUBuffer, ws.gx[l]: GPUBuffer, ws.cn: GPUBuffer | undefined
 */
export class WorkspaceTable<T extends Record<string, WorkspaceRow>> {
  /** Bytes of one buffer of each row (of each layer's, for a per-layer row). */
  readonly bytes: { readonly [K in keyof T]: number };

  constructor(private readonly rows: T) {
    const bytes = {} as Record<keyof T, number>;
    for (const [name, r] of this.entries()) bytes[name] = r.elements * BYTES_PER_ELEMENT[r.dtype ?? 'f32'];
    this.bytes = bytes;
  }

  private entries(): [keyof T & string, WorkspaceRow][] {
    return Object.entries(this.rows) as [keyof T & string, WorkspaceRow][];
  }

  /** The GPU labels of the buffers a row makes (none when absent). */
  private labels(name: string, r: WorkspaceRow): string[] {
    if (r.when === false) return [];
    const label = r.label ?? name;
    return r.perLayer === undefined ? [label] : Array.from({ length: r.perLayer }, (_, l) => `${label}${l}`);
  }

  /**
   * Throws the DEVICE_LIMIT error that allocating the first too-large buffer would throw, in row order,
   * touching nothing. A per-layer row is checked once (as its layer 0: every layer's is the same size).
   */
  check(rec: Recorder): void {
    for (const [name, r] of this.entries()) {
      const [first] = this.labels(name, r);
      if (first !== undefined) rec.checkBuffer(this.bytes[name], first);
    }
  }

  /** Every present buffer, zeroed and owned by `rec` (freed with it). */
  allocate(rec: Recorder): Workspace<T> {
    const out: Record<string, GPUBuffer | GPUBuffer[] | undefined> = {};
    for (const [name, r] of this.entries()) {
      const bufs = this.labels(name, r).map((label) => rec.buffer(this.bytes[name], label));
      out[name] = r.perLayer === undefined ? bufs[0] : bufs;
    }
    return out as Workspace<T>;
  }
}
