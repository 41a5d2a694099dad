// Shapes and offsets derived once from a table:
// - layerOffsets (the recurrent plan's parameter offsets, found by layer, direction and kind in the
//   spec table) against an independent reading of the same flat layout: PyTorch's state_dict names,
//   looked up in a name → offset map built here from the specs' sizes. Integers: exact.
// - WorkspaceTable on a device with lowered limits: byte sizes per dtype, per-layer rows, absent rows,
//   every row checked before any allocation (a DEVICE_LIMIT naming the first oversize buffer, nothing
//   allocated), and everything freed with its recorder.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createEngine, WebRnnError, type Engine } from '../src/index.js';
import { Recorder } from '../src/gpu/recorder.js';
import { WorkspaceTable } from '../src/gpu/workspace.js';
import { hiddenStateSize, parameterSpecs, resolveConfig, type RecurrentConfig } from '../src/layers/recurrent-config.js';
import { layerOffsets } from '../src/layers/recurrent-plan.js';

describe('layerOffsets: by (layer, direction, kind) from the spec table', () => {
  const configs: RecurrentConfig[] = [];
  for (const mode of ['LSTM', 'GRU', 'RNN_TANH', 'RNN_RELU'] as const) {
    for (const bidirectional of [false, true]) {
      for (const bias of [true, false]) configs.push({ mode, input_size: 5, hidden_size: 7, num_layers: 3, bidirectional, bias });
    }
  }
  configs.push({ mode: 'LSTM', input_size: 3, hidden_size: 9, num_layers: 2, bidirectional: true, proj_size: 4, peephole: true });
  configs.push({ mode: 'LSTM', input_size: 3, hidden_size: 9, num_layers: 2, proj_size: 2, bias: false });
  configs.push({ mode: 'LSTM', input_size: 3, hidden_size: 9, peephole: true, bidirectional: true });

  for (const config of configs) {
    test(JSON.stringify(config), () => {
      const c = resolveConfig(config);
      const specs = parameterSpecs(c);
      // the flat layout by name, as ParameterStore lays it out (state_dict order, sizes multiplied here)
      const byName = new Map<string, number>();
      const at: number[] = [];
      let n = 0;
      for (const s of specs) {
        byName.set(s.name, n);
        at.push(n);
        n += s.shape.reduce((a, b) => a * b, 1);
      }
      const D = c.bidirectional ? 2 : 1;
      const off = (kind: string, l: number, d = 0) => byName.get(`${kind}_l${l}${d ? '_reverse' : ''}`) ?? 0;
      const want = Array.from({ length: c.num_layers }, (_, l) => ({
        w_ih: off('weight_ih', l),
        w_hh: off('weight_hh', l),
        b_ih: off('bias_ih', l),
        b_hh: off('bias_hh', l),
        w_ph: off('weight_ph', l),
        w_hr: off('weight_hr', l),
        dirStride: D === 2 ? off('weight_ih', l, 1) - off('weight_ih', l) : 0,
        inputSize: l === 0 ? c.input_size : D * hiddenStateSize(c),
      }));
      expect(layerOffsets(specs, at)).toEqual(want);
      // every direction-1 parameter sits dirStride after its direction-0 twin (what the kernels assume)
      for (const s of specs.filter((x) => x.direction === 1)) {
        expect(byName.get(s.name), s.name).toBe(off(s.kind, s.layer) + want[s.layer].dirStride);
      }
    });
  }
});

describe('WorkspaceTable', () => {
  const LIMIT = 64 * 1024;
  let engine: Engine;
  beforeAll(async () => {
    engine = await createEngine({ limits: { maxStorageBufferBindingSize: LIMIT, maxBufferSize: 4 * LIMIT } });
  });
  afterAll(() => engine?.dispose());

  const table = (L: number, T: number, lstm: boolean) =>
    new WorkspaceTable({
      lengths: { elements: 3, dtype: 'u32' },
      x: { elements: T * 8 },
      half: { elements: 10, dtype: 'f16', label: 'w_half' },
      gx: { elements: T * 16, perLayer: L },
      cs: { elements: T * 4, perLayer: L, when: lstm },
      cn: { elements: 12, when: lstm, label: 'c_n' },
    });

  test('byte sizes per dtype, per-layer rows, absent rows, labels', () => {
    const t = table(3, 10, false);
    expect(t.bytes).toEqual({ lengths: 12, x: 320, half: 20, gx: 640, cs: 160, cn: 48 });
    const before = engine.memory();
    const rec = new Recorder(engine, 'T');
    t.check(rec);
    const ws = t.allocate(rec);
    expect(ws.gx.length).toBe(3);
    expect(ws.cs).toEqual([]);
    expect(ws.cn).toBeUndefined();
    expect([ws.lengths, ws.x, ws.half, ...ws.gx].map((b) => b.label)).toEqual(['T:lengths', 'T:x', 'T:w_half', 'T:gx0', 'T:gx1', 'T:gx2']);
    // createBuffer rounds to 16 bytes: 12 → 16, 20 → 32
    expect([ws.lengths, ws.x, ws.half, ws.gx[0]].map((b) => b.size)).toEqual([16, 320, 32, 640]);
    const lstm = table(2, 10, true).allocate(rec);
    expect(lstm.cs.map((b) => b.label)).toEqual(['T:cs0', 'T:cs1']);
    expect(lstm.cn?.label).toBe('T:c_n');
    rec.dispose();
    expect(engine.memory()).toEqual(before);
  });

  test('check throws the first oversize row as DEVICE_LIMIT, before anything is allocated', () => {
    const before = engine.memory();
    const rec = new Recorder(engine, 'T');
    // T = 1024: x is 32 KiB, gx exactly one binding (64 KiB); T = 1025: gx0 is 64 bytes past it
    table(4, 1024, true).check(rec);
    let e: unknown;
    try {
      table(4, 1025, true).check(rec);
    } catch (err) {
      e = err;
    }
    expect(e).toBeInstanceOf(WebRnnError);
    expect((e as WebRnnError).code).toBe('DEVICE_LIMIT');
    expect((e as WebRnnError).message).toMatch(/^T:gx0 needs 65600 bytes.*maxStorageBufferBindingSize = 65536/);
    expect(engine.memory()).toEqual(before);
    rec.dispose();
  });
});
