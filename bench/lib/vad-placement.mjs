// Where onnxruntime-web placed a silero model's LSTM nodes, from its verbose session log (the page's
// console while a session with logSeverityLevel 0 is created; see ort-web-engine.mjs). The LSTMs sit
// inside If branches, each branch a graph of its own in the log.
export function lstmPlacement(/** @type {string[]} */ lines) {
  /** @type {Record<string, string>} */
  const placement = {};
  let current;
  for (const line of lines.join('\n').split('\n')) {
    const ep = /Node\(s\) placed on \[(\w+)\]/.exec(line);
    if (ep) { current = ep[1]; continue; }
    const node = /\]\s+LSTM \((.*)\)\s*$/.exec(line);
    if (node && current) placement[node[1] || `LSTM#${Object.keys(placement).length}`] = current;
  }
  const off = Object.entries(placement).filter(([, p]) => p !== 'WebGpuExecutionProvider');
  return {
    placement,
    refused: off.length ? `LSTM nodes ${off.map(([n, p]) => `${n} on ${p}`).join(', ')}, not WebGpuExecutionProvider (this row would time the CPU)`
      : !Object.keys(placement).length ? 'onnxruntime\'s log names no LSTM placement' : undefined,
  };
}
