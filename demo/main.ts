/**
 * The webrnn browser demo: checks for WebGPU, creates the engine, shows the adapter, and wires the
 * language-model and tagger panels. The language model trains in a dedicated worker on its own GPU
 * device (`?trainer=main`: on this page's, for comparison); the tagger trains here.
 */
import { createEngine, WebRnnError, type Engine } from 'webrnn';
import { initialState } from './demo-state.ts';
import { LmPanel } from './lm-panel.ts';
import { createLmTrainer, trainerPlace } from './lm-trainer.ts';
import { TaggerPanel } from './tagger-panel.ts';
import { byId, fillStats } from './dom.ts';
import './style.css';

const state = (window.__demo = initialState());

/** Replaces the app with an explanation of what is needed (no WebGPU, no adapter, lost device). */
function showBlocked(title: string, detail: string): void {
  const box = byId('no-webgpu');
  box.querySelector('h2')!.textContent = title;
  box.querySelector('.detail')!.textContent = detail;
  box.hidden = false;
  byId('app').hidden = true;
  byId('adapter').hidden = true;
}

function showError(message: string): void {
  state.errors.push(message);
  const bar = byId('error-bar');
  bar.textContent = `Something went wrong: ${message}`;
  bar.hidden = false;
}

function showAdapter(engine: Engine): void {
  state.adapter = engine.adapterName;
  byId('adapter-name').textContent = engine.adapterName;
  const info = engine.adapterInfo;
  byId('adapter-vendor').textContent = [info.vendor, info.architecture].filter(Boolean).join(' · ') || '–';
  const lim = engine.device.limits;
  const mib = (n: number) => `${(n / 2 ** 20).toLocaleString('en', { maximumFractionDigits: 0 })} MiB`;
  const rows: [string, string][] = [
    ['max buffer', mib(lim.maxBufferSize)],
    ['max storage binding', mib(lim.maxStorageBufferBindingSize)],
    ['workgroup memory', `${(lim.maxComputeWorkgroupStorageSize / 1024).toFixed(0)} KiB`],
    ['invocations / workgroup', String(lim.maxComputeInvocationsPerWorkgroup)],
    ['storage buffers / stage', String(lim.maxStorageBuffersPerShaderStage)],
  ];
  fillStats(byId<HTMLDListElement>('adapter-limits'), rows);
}

const NEEDS =
  'This demo trains neural networks on your GPU with WebGPU. It needs a browser with WebGPU: Chrome or Edge 113+ ' +
  '(Windows, macOS, ChromeOS; Android 12+ from Chrome 121; on Linux recent versions, or turn on ' +
  'chrome://flags/#enable-unsafe-webgpu), Safari 26+, or Firefox 141+ on Windows. WebGPU also needs a secure context: ' +
  'open the page over https:// or from http://localhost.';

async function main(): Promise<void> {
  addEventListener('unhandledrejection', (e) => showError(String((e.reason as Error)?.message ?? e.reason)));
  addEventListener('error', (e) => {
    // Browsers report a ResizeObserver that skipped a frame as an error event; it is harmless.
    if (!e.message.startsWith('ResizeObserver loop')) showError(e.message);
  });
  if (!window.isSecureContext) {
    state.webgpu = 'missing';
    showBlocked('WebGPU needs a secure context', `This page was opened from ${location.origin}, which is not a secure context. ${NEEDS}`);
    return;
  }
  if (!navigator.gpu) {
    state.webgpu = 'missing';
    showBlocked('This browser has no WebGPU', `navigator.gpu is not available here. ${NEEDS}`);
    return;
  }
  let engine: Engine;
  try {
    engine = await createEngine();
  } catch (e) {
    const noAdapter = e instanceof WebRnnError && e.code === 'NO_ADAPTER';
    state.webgpu = noAdapter ? 'no-adapter' : 'error';
    showBlocked(noAdapter ? 'WebGPU found no GPU adapter' : 'WebGPU could not start',
      `${noAdapter ? 'The browser has WebGPU but offered no adapter (a blocklisted GPU or driver, or hardware acceleration turned off). ' : `${(e as Error).message}. `}${NEEDS}`);
    return;
  }
  state.webgpu = 'ok';
  showAdapter(engine);
  void engine.device.lost.then((info) => {
    if (info.reason === 'destroyed') return;
    showBlocked('The GPU device was lost', `${info.message || 'The driver reset or the GPU was removed'}. Reload the page to start again.`);
  });
  state.trainer = trainerPlace();
  new LmPanel(createLmTrainer(state.trainer, engine), state);
  new TaggerPanel(engine, state);
  state.ready = true;
}

void main().catch((e: unknown) => showError((e as Error).message ?? String(e)));
