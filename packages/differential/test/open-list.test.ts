import { describe, expect, it } from 'vitest';
import { checkOpenList, openListOf, type Finding } from '../src/index.js';

const finding = (backend: string, c: string): Finding => ({
  backend,
  loss: c.split('/')[0]!,
  case: c,
  status: 'fail',
  message: 'forward loss: element 0: got 0, expected NaN',
  classes: [],
  signature: `${backend} x`,
});

describe('the open-disagreement ratchet', () => {
  const ran = {
    backends: new Set(['ts', 'onnx-node']),
    cases: new Set(['L2Loss/diff-1-0', 'L2Loss/diff-1-1', 'L1Loss/diff-1-0']),
  };

  it('passes when the findings are exactly the listed ones', () => {
    const open = [{ backend: 'ts', case: 'L2Loss/diff-1-0' }];
    expect(checkOpenList([finding('ts', 'L2Loss/diff-1-0')], open, ran)).toEqual({ unexpected: [], stale: [] });
  });

  it('reports a disagreement that is not listed (a regression)', () => {
    const check = checkOpenList([finding('onnx-node', 'L2Loss/diff-1-1')], [], ran);
    expect(check.unexpected.map((f) => f.case)).toEqual(['L2Loss/diff-1-1']);
  });

  it('reports a listed disagreement that now passes, so the list only shrinks', () => {
    const check = checkOpenList([], [{ backend: 'ts', case: 'L1Loss/diff-1-0' }], ran);
    expect(check.stale).toEqual([{ backend: 'ts', case: 'L1Loss/diff-1-0' }]);
  });

  it('ignores entries of backends or cases the run did not cover', () => {
    const open = [
      { backend: 'tfjs-wasm', case: 'L2Loss/diff-1-0' },
      { backend: 'ts', case: 'CTCLoss/diff-1-0' },
    ];
    expect(checkOpenList([], open, ran).stale).toEqual([]);
  });

  it('writes the list sorted by backend, then case number', () => {
    const list = openListOf([
      finding('ts', 'L2Loss/diff-1-10'),
      finding('onnx-node', 'L2Loss/diff-1-3'),
      finding('ts', 'L2Loss/diff-1-9'),
    ]);
    expect(list.map((o) => `${o.backend} ${o.case}`)).toEqual([
      'onnx-node L2Loss/diff-1-3',
      'ts L2Loss/diff-1-9',
      'ts L2Loss/diff-1-10',
    ]);
  });
});
