/**
 * The one error class webrnn throws for anything a caller can fix: bad shapes, bad config values,
 * malformed files, sizes beyond device limits, a missing WebGPU adapter. `code` is machine-readable;
 * the message says what was expected and what was given.
 *
 * @example
 * try { new Recurrent(engine, { mode: 'LSTM', input_size: 0, hidden_size: 8 }); }
 * catch (e) { if (e instanceof WebRnnError && e.code === 'BAD_CONFIG') console.error(e.message); }
 */
export type WebRnnErrorCode =
  | 'BAD_CONFIG'
  | 'BAD_SHAPE'
  | 'BAD_LENGTHS'
  | 'BAD_VALUE'
  | 'BAD_FILE'
  | 'BAD_STATE'
  | 'DEVICE_LIMIT'
  | 'NO_ADAPTER'
  | 'DEVICE_LOST'
  | 'DISPOSED';

export class WebRnnError extends Error {
  readonly code: WebRnnErrorCode;
  constructor(code: WebRnnErrorCode, message: string) {
    super(message);
    this.name = 'WebRnnError';
    this.code = code;
  }
}
