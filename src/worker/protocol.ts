/**
 * The messages between a page and a training worker (src/worker/): job commands one way, replies,
 * progress and the end of a run the other. Nothing else crosses: the worker runs the real library on
 * its own GPU device, so no engine method is mirrored over postMessage. Every message carries
 * `webrnn: PROTOCOL`, so an app can use the same worker or port for its own messages too.
 */
import { WebRnnError, type WebRnnErrorCode } from '../errors.js';
import type { RunOptions, SampleRequest, TrainingProgress, TrainingResult } from './training-job.js';

export const PROTOCOL = 1;

/**
 * What messages travel through: a dedicated `Worker` on the page side, the worker's global scope
 * (`self`) on the other, or the two ends of a `MessageChannel` (both on one thread). Structural, so
 * the library needs no DOM or worker typings.
 */
export interface MessageEndpoint {
  postMessage(message: unknown, transfer: ArrayBuffer[]): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  /** MessagePort needs it before messages flow to addEventListener listeners. */
  start?(): void;
}

/** What a command asks for. */
export type CommandBody =
  | { type: 'start'; settings: unknown; options: RunOptions }
  | { type: 'resume'; options: RunOptions }
  | { type: 'stop' }
  | { type: 'reset' }
  | { type: 'sample'; options: SampleRequest }
  | { type: 'evaluate' }
  | { type: 'weights' }
  | { type: 'load'; weights: Record<string, Float32Array> };

/** Page → worker. `id` pairs a command with its reply. */
export type Command = { webrnn: typeof PROTOCOL; id: number } & CommandBody;

/** An error as it crosses: a WebRnnError keeps its code. */
export interface ErrorData {
  name: string;
  message: string;
  code?: WebRnnErrorCode;
}

/** Worker → page. */
export type Reply = { webrnn: typeof PROTOCOL } & (
  | { type: 'reply'; id: number; value: unknown }
  | { type: 'failed'; id: number; error: ErrorData }
  | { type: 'progress'; progress: TrainingProgress }
  | { type: 'end'; result: TrainingResult; error?: ErrorData }
);

export function isMessage<T extends { webrnn: number }>(data: unknown): data is T {
  return typeof data === 'object' && data !== null && (data as { webrnn?: unknown }).webrnn === PROTOCOL && typeof (data as { type?: unknown }).type === 'string';
}

export function errorData(e: unknown): ErrorData {
  if (e instanceof WebRnnError) return { name: e.name, message: e.message, code: e.code };
  if (e instanceof Error) return { name: e.name, message: e.message };
  return { name: 'Error', message: String(e) };
}

/** The error again on this side: a WebRnnError with the same code, else an Error with the same name. */
export function errorFrom(d: ErrorData): Error {
  if (typeof d.code === 'string') return new WebRnnError(d.code, d.message);
  const e = new Error(d.message);
  e.name = d.name;
  return e;
}

/**
 * The distinct buffers under a state_dict's arrays: what to list as transferable (a buffer listed
 * twice makes postMessage throw; arrays that share one buffer arrive sharing it).
 */
export function buffersOf(weights: Record<string, Float32Array>): ArrayBuffer[] {
  const seen = new Set<ArrayBuffer>();
  for (const a of Object.values(weights)) if (a.buffer instanceof ArrayBuffer) seen.add(a.buffer);
  return [...seen];
}
