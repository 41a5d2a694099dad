/**
 * A character-level language model trained on WebGPU in Deno, with the same library code as Node
 * and the browser: embedding → LSTM → softmax over characters, truncated backpropagation through
 * time, Adam — then a sample. Run it with `node examples/deno/run.mjs` (bundles webrnn with this file
 * and runs the bundle with Deno; see README.md here).
 *
 * Prints one line per 10 steps, `step N  loss X` (mean cross-entropy in nats per character over
 * those steps), then `loss: FIRST -> LAST`, and a sample between `--- sample ---` and `---` lines.
 */
import { CharLm, createEngine, Vocab } from 'webrnn';

// Jane Taylor, "The Star" (1806), public domain: short, repetitive, quickly learnable.
const TEXT = `Twinkle, twinkle, little star,
How I wonder what you are!
Up above the world so high,
Like a diamond in the sky.
When the blazing sun is gone,
When he nothing shines upon,
Then you show your little light,
Twinkle, twinkle, all the night.
Then the traveller in the dark
Thanks you for your tiny spark;
He could not see which way to go,
If you did not twinkle so.
`;

const STEPS = 60;
const EVERY = 10;

const engine = await createEngine(); // navigator.gpu in Deno
console.log(`webrnn in ${engine.host} on ${engine.adapterName}`);

const vocab = Vocab.fromText(TEXT, { level: 'char' });
const ids = vocab.encode(TEXT.repeat(4));
const lm = new CharLm(engine, vocab, ids, { hidden: 64, embedding: 16, batch: 4, bptt: 32, lr: 1e-2, seed: 1 });
console.log(`${vocab.size} symbols, ${ids.length} training characters, ${lm.windowsPerEpoch} windows per epoch`);

const means: number[] = [];
let sum = 0;
for (let step = 1; step <= STEPS; step++) {
  sum += await lm.trainStep(); // one window of 4 streams × 32 characters, one Adam step
  if (step % EVERY === 0) {
    means.push(sum / EVERY);
    console.log(`step ${step}  loss ${(sum / EVERY).toFixed(4)}`);
    sum = 0;
  }
}
console.log(`loss: ${means[0].toFixed(4)} -> ${means[means.length - 1].toFixed(4)}`);
const text = await lm.sample({ prime: 'Twinkle', length: 120, temperature: 0.5, seed: 1 });
console.log(`--- sample ---\nTwinkle${text}\n---`);

lm.dispose();
engine.dispose();
