// The dedicated worker of test/worker-chromium.test.ts: the library's CharLm job on the worker's own
// WebGPU device. Bundled as it is; a library that touched window or document would fail here.
import { charLmJob, serveTraining } from '../../src/index.js';

serveTraining(charLmJob);
