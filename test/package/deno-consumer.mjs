// Deno, importing the installed package from node_modules as a Deno user would; prints one JSON line.
import { createEngine, parameterSpecs, Recurrent } from 'webrnn';
import { runLstmCase } from './lstm-case.mjs';

console.log(JSON.stringify(await runLstmCase({ createEngine, parameterSpecs, Recurrent })));
