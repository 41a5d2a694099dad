/**
 * What the page exposes on `window.__demo` for tests and for the curious (open the console):
 * progress of both panels, read-only by convention.
 */
export interface DemoState {
  /** true once the engine is up and both panels are wired */
  ready: boolean;
  /** 'checking' until known; 'missing' (no navigator.gpu), 'no-adapter', 'error' or 'ok' */
  webgpu: 'checking' | 'ok' | 'missing' | 'no-adapter' | 'error';
  adapter: string;
  /** where the language model trains: a dedicated worker, or this page's main thread (`?trainer=main`) */
  trainer: 'worker' | 'main';
  /** language model: optimizer steps so far (of the current model) */
  steps: number;
  /** language model: training loss of every step, nats per character */
  losses: number[];
  /** language model: validation bits per character, every few steps */
  validation: { step: number; bpc: number }[];
  /** language model: samples, oldest first */
  samples: { step: number; temperature: number; text: string }[];
  /** language model: training throughput (characters per second of training time), recent steps */
  charsPerSec: number;
  running: boolean;
  tagger: {
    steps: number;
    losses: number[];
    /** name-character F1 on held-out generated text, at the last check */
    f1: number | undefined;
    /** every check of F1 so far */
    checks: { step: number; f1: number }[];
    /** training finished */
    ready: boolean;
    /** the highlighted spans of the typed text, as last tagged */
    spans: { start: number; end: number; text: string }[];
  };
  /** errors shown in the page */
  errors: string[];
}

export function initialState(): DemoState {
  return {
    ready: false,
    webgpu: 'checking',
    adapter: '',
    trainer: 'worker',
    steps: 0,
    losses: [],
    validation: [],
    samples: [],
    charsPerSec: 0,
    running: false,
    tagger: { steps: 0, losses: [], f1: undefined, checks: [], ready: false, spans: [] },
    errors: [],
  };
}

declare global {
  interface Window {
    __demo: DemoState;
  }
}
