/**
 * The language model's training worker: the library's CharLm job, served on this dedicated worker's
 * own WebGPU device, so training never blocks the page's main thread (its UI, its animation frames).
 */
import { charLmJob, serveTraining } from 'webrnn';

serveTraining(charLmJob);
