// The browser demo: `npx vite demo` (dev server on http://localhost:5173) and `npx vite build demo`
// (static site in demo/dist). WebGPU needs a secure context: localhost or https.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { sourceAliases } from '../scripts/entry-points.mjs';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  // Relative asset URLs: demo/dist works from any path it is served under.
  base: './',
  // `import … from 'webrnn'`, as an app writes it, is this repository's source of that entry point.
  resolve: { alias: Object.entries(sourceAliases()).map(([name, path]) => ({ find: new RegExp(`^${name}$`), replacement: path })) },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // The engine imports Dawn (npm `webgpu`) only in Node, through a variable specifier that bundlers
    // leave alone; listing it here makes sure it is never bundled should that import ever change.
    // Three pages: the demo, run-model.html (a model file of examples/scale-out, sampled in the page) and
    // vad.html (silero VAD on a WAV file or the microphone; its model files come from @ricky0123/vad-web).
    rolldownOptions: {
      external: ['webgpu'],
      input: { main: fileURLToPath(new URL('index.html', import.meta.url)), 'run-model': fileURLToPath(new URL('run-model.html', import.meta.url)), vad: fileURLToPath(new URL('vad.html', import.meta.url)) },
    },
    chunkSizeWarningLimit: 1024,
  },
  // The language model's training worker (lm-trainer.ts) is an ES module worker, like the page.
  worker: { format: 'es', rolldownOptions: { external: ['webgpu'] } },
  server: { host: 'localhost' },
  preview: { host: '127.0.0.1' },
});
