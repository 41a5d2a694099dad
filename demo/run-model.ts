/**
 * The demo's second page (run-model.html): a character model trained elsewhere — a PyTorch state_dict
 * saved as safetensors by examples/scale-out (train_ddp.py under DistributedDataParallel, or
 * `scale-out finetune`), its vocabulary and settings in the metadata — loaded with loadTorchModel and
 * sampled on this page's GPU. Progress is published on window.__runModel for test/scale-out.test.ts.
 */
import { createEngine, Generator, parseSafetensors, Vocab, WebRnnError, type Engine, type SafeTensor, type SequenceModel } from 'webrnn';
import { loadTorchModel } from 'webrnn/interop';
import { byId, fillStats, statusLine } from './dom.ts';
import './style.css';

/** What the page publishes on window.__runModel. */
export interface RunModelState {
  /** WebGPU started (or an error says why not) */
  ready: boolean;
  /** the loaded file: name, parameters, vocabulary size, what trained it, the losses it records */
  model: { file: string; parameters: number; vocab: number; trainedBy: string; valLoss: number | undefined } | undefined;
  samples: string[];
  errors: string[];
}

declare global {
  interface Window {
    __runModel: RunModelState;
  }
}

const SAMPLE_LENGTH = 300;
const state: RunModelState = (window.__runModel = { ready: false, model: undefined, samples: [], errors: [] });

const el = {
  file: byId<HTMLInputElement>('model-file'),
  info: byId<HTMLDListElement>('model-info'),
  prime: byId<HTMLInputElement>('model-prime'),
  temp: byId<HTMLInputElement>('model-temp'),
  sample: byId<HTMLButtonElement>('model-sample'),
  status: byId<HTMLParagraphElement>('model-status'),
  text: byId<HTMLPreElement>('model-text'),
};

const status = statusLine(el.status, state.errors);

interface Loaded {
  model: SequenceModel;
  generator: Generator;
  vocab: Vocab;
}
let loaded: Loaded | undefined;
let seed = 1;

/** Reads a model file: the state_dict into a SequenceModel, the vocabulary from the metadata. */
async function load(engine: Engine, file: File): Promise<void> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const parsed = parseSafetensors(bytes, { source: file.name });
  const vocabJson = parsed.metadata.vocab;
  if (vocabJson === undefined) throw new WebRnnError('BAD_FILE', `${file.name} has no vocabulary in its metadata: save it with examples/scale-out (train_ddp.py or scale-out finetune)`);
  const vocab = Vocab.fromJSON(JSON.parse(vocabJson));
  const { model } = loadTorchModel(engine, parsed.tensors as Map<string, SafeTensor>);
  const V = model.config.embedding?.num_embeddings;
  if (V !== vocab.size || model.config.linear.out_features !== vocab.size) {
    model.dispose();
    throw new WebRnnError('BAD_FILE', `${file.name}: the model predicts over ${model.config.linear.out_features} symbols, its vocabulary has ${vocab.size}`);
  }
  model.eval();
  if (loaded) {
    loaded.generator.dispose();
    loaded.model.dispose();
  }
  loaded = { model, vocab, generator: new Generator(engine, { embedding: model.embedding, recurrent: model.rnn, head: model.linear }) };
  const parameters = model.blocks().reduce((n, b) => n + b.parameterCount, 0);
  const r = model.config.rnn;
  const valLoss = parsed.metadata.val_loss === undefined ? undefined : Number(parsed.metadata.val_loss);
  state.model = { file: file.name, parameters, vocab: vocab.size, trainedBy: parsed.metadata.trained_by ?? 'unknown', valLoss };
  const rows: [string, string][] = [
    ['model', `embedding ${model.config.embedding!.embedding_dim} → ${r.mode} ${r.num_layers ?? 1}×${r.hidden_size} → linear ${vocab.size}`],
    ['parameters', parameters.toLocaleString('en')],
    ['trained by', state.model.trainedBy],
    ...(valLoss === undefined ? [] : [['validation', `${valLoss.toFixed(4)} nats/char (${(valLoss / Math.LN2).toFixed(3)} bits/char)`] as [string, string]]),
  ];
  fillStats(el.info, rows);
}

async function sample(): Promise<void> {
  if (!loaded) return;
  const prime = loaded.vocab.encode(el.prime.value || '\n');
  if (prime.length === 0) return status('Start with at least one character.', true);
  loaded.generator.reset();
  const ids = await loaded.generator.generate({ prime, steps: SAMPLE_LENGTH, temperature: Number(el.temp.value), seed: seed++ });
  const text = el.prime.value + loaded.vocab.decode(ids, { skip_special: true });
  el.text.textContent = text;
  state.samples.push(text);
}

async function main(): Promise<void> {
  if (!navigator.gpu) {
    status('This browser has no WebGPU (navigator.gpu); open the page in Chrome or Edge 113+, Safari 26+ or Firefox 141+ on Windows, over https or localhost.', true);
    return;
  }
  const engine = await createEngine();
  status(`WebGPU on ${engine.adapterName}. Open a model file.`);
  state.ready = true;
  el.file.addEventListener('change', () => {
    const f = el.file.files?.[0];
    if (!f) return;
    el.sample.disabled = true;
    status(`Loading ${f.name}…`);
    void load(engine, f)
      .then(async () => {
        status(`${f.name} loaded; a sample below.`);
        el.sample.disabled = false;
        await sample();
      })
      .catch((e: unknown) => status(`Cannot use ${f.name}: ${(e as Error).message}`, true));
  });
  el.sample.addEventListener('click', () => void sample().catch((e: unknown) => status(`Sampling failed: ${(e as Error).message}`, true)));
}

void main().catch((e: unknown) => {
  status(`Something went wrong: ${(e as Error).message}`, true);
  state.ready = true;
});
