// A vite app that installs webrnn from npm and runs one LSTM forward on the page's WebGPU adapter.
import { createEngine, parameterSpecs, Recurrent } from 'webrnn';
import { runLstmCase } from './lstm-case.mjs';

runLstmCase({ createEngine, parameterSpecs, Recurrent }).then(
  (r) => { window.__result = r; document.getElementById('status').textContent = 'done'; },
  (e) => { window.__result = { error: `${e.name}: ${e.message}` }; document.getElementById('status').textContent = 'failed'; },
);
