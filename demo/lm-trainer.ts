/**
 * Where the language model trains: in a dedicated worker (the default), or on the page's main thread
 * with `?trainer=main` — the same job behind the same TrainingWorker handle, joined by a MessageChannel
 * instead of a Worker, kept for comparison (test/demo.test.ts measures the page's frame gaps in both).
 */
import { charLmJob, serveTraining, TrainingWorker, type CharLmJobInfo, type CharLmJobSettings, type Engine } from 'webrnn';

export type TrainerPlace = 'worker' | 'main';

export function trainerPlace(): TrainerPlace {
  return new URLSearchParams(location.search).get('trainer') === 'main' ? 'main' : 'worker';
}

export function createLmTrainer(place: TrainerPlace, engine: Engine): TrainingWorker<CharLmJobSettings, CharLmJobInfo> {
  if (place === 'worker') return new TrainingWorker(new Worker(new URL('./lm-worker.ts', import.meta.url), { type: 'module', name: 'webrnn-lm' }));
  const channel = new MessageChannel();
  serveTraining(charLmJob, { endpoint: channel.port1, engine });
  return new TrainingWorker(channel.port2);
}
