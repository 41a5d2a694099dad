/**
 * Watching what a call does on the GPU: which device/queue methods it calls (spies installed on the
 * device object for the duration) and which errors the device reports (validation, out-of-memory and
 * internal error scopes, plus uncaptured errors). Used to assert "validation before any GPU work".
 */
import { expect } from 'vitest';
import { WebRnnError, type Engine } from '../../src/index.js';

const DEVICE_METHODS = ['createBuffer', 'createBindGroup', 'createCommandEncoder', 'createComputePipeline', 'createShaderModule', 'createBindGroupLayout'] as const;
const QUEUE_METHODS = ['submit', 'writeBuffer'] as const;

export interface Watched {
  /** GPU methods called, in order (e.g. 'queue.submit') */
  calls: string[];
  /** messages of GPU errors raised while the call ran */
  gpuErrors: string[];
  /** what the call threw (or its promise rejected with) */
  thrown: unknown;
}

/** Runs `fn` (sync or async) with spies and error scopes around it. */
export async function watchGpu(engine: Engine, fn: () => unknown): Promise<Watched> {
  const device = engine.device as unknown as Record<string, unknown> & { queue: Record<string, unknown> };
  const calls: string[] = [];
  const restore: (() => void)[] = [];
  const spy = (obj: Record<string, unknown>, name: string, label: string) => {
    const orig = obj[name] as (...a: unknown[]) => unknown;
    const own = Object.hasOwn(obj, name);
    obj[name] = function (this: unknown, ...args: unknown[]) {
      calls.push(label);
      return orig.apply(this, args);
    };
    restore.push(() => {
      if (own) obj[name] = orig;
      else delete obj[name];
    });
  };
  for (const m of DEVICE_METHODS) spy(device, m, `device.${m}`);
  const queue = device.queue;
  for (const m of QUEUE_METHODS) spy(queue, m, `queue.${m}`);
  const uncaptured: string[] = [];
  const onError = (ev: Event) => uncaptured.push((ev as GPUUncapturedErrorEvent).error.message);
  engine.device.addEventListener('uncapturederror', onError);
  const scopes: GPUErrorFilter[] = ['validation', 'out-of-memory', 'internal'];
  for (const s of scopes) engine.device.pushErrorScope(s);
  let thrown: unknown;
  try {
    await fn();
  } catch (e) {
    thrown = e;
  } finally {
    for (const r of restore.reverse()) r();
  }
  const gpuErrors: string[] = [];
  for (let i = 0; i < scopes.length; i++) {
    const e = await engine.device.popErrorScope();
    if (e) gpuErrors.push(e.message);
  }
  engine.device.removeEventListener('uncapturederror', onError);
  return { calls, gpuErrors: [...gpuErrors, ...uncaptured], thrown };
}

/**
 * Asserts `fn` fails with WebRnnError(`code`) (message matching `message` when given) without any
 * GPU call and without any GPU error.
 */
export async function expectRejectedBeforeGpu(engine: Engine, name: string, code: string, fn: () => unknown, message?: RegExp): Promise<void> {
  const w = await watchGpu(engine, fn);
  expect(w.thrown, `${name}: should throw WebRnnError(${code})`).toBeInstanceOf(WebRnnError);
  const e = w.thrown as WebRnnError;
  expect(e.code, `${name}: ${e.message}`).toBe(code);
  if (message) expect(e.message, name).toMatch(message);
  expect(e.message.length, `${name}: the message says what was expected and given`).toBeGreaterThan(15);
  expect(w.calls, `${name}: GPU calls before the error`).toEqual([]);
  expect(w.gpuErrors, `${name}: GPU errors`).toEqual([]);
}
