import { describe, expect, it } from 'vitest';
import { LOSS_NAMES, parseConfig, planCall, sizeOf, type Tensor } from '@gluon-loss/spec';
import { drawCase, drawCases, SPACES, VALUE_CLASSES } from '../src/index.js';
import { CI_SAMPLE } from '../src/ci-sample.js';

describe('the case generator', () => {
  const sample = drawCases(CI_SAMPLE.seed, CI_SAMPLE.cases, LOSS_NAMES);

  it('covers every class it lists at least 20 times in the CI sample', () => {
    const thin: string[] = [];
    for (const loss of LOSS_NAMES) {
      const counts = new Map<string, number>();
      for (const c of sample.filter((x) => x.draw.loss === loss))
        for (const k of c.classes) counts.set(k, (counts.get(k) ?? 0) + 1);
      for (const cls of SPACES[loss].classes)
        if ((counts.get(cls) ?? 0) < 20) thin.push(`${loss} ${cls}: ${counts.get(cls) ?? 0}`);
    }
    expect(thin).toEqual([]);
  });

  it('lists ranks 1 to 8 and every value class for the losses of any rank', () => {
    for (const loss of LOSS_NAMES) {
      for (const v of VALUE_CLASSES) expect(SPACES[loss].classes).toContain(`values=${v}`);
      if (loss !== 'CTCLoss' && loss !== 'SDMLLoss') {
        for (let r = 1; r <= 8; r++) expect(SPACES[loss].classes).toContain(`rank=${r}`);
      }
    }
    expect(SPACES.SigmoidBinaryCrossEntropyLoss.classes).toContain('name=SigmoidBCELoss');
    expect(SPACES.SoftmaxCrossEntropyLoss.classes).toContain('name=SoftmaxCELoss');
  });

  it('is deterministic for a seed, and a case does not depend on the cases before it', () => {
    const again = drawCase(CI_SAMPLE.seed, 'CTCLoss', 17);
    const first = sample.find((c) => c.name === again.name)!;
    expect(again.draw).toEqual(first.draw);
    for (const [k, v] of Object.entries(first.inputs)) {
      const w = again.inputs[k]!;
      if (typeof v === 'number') expect(w).toBe(v);
      else expect(Array.from((w as Tensor).data)).toEqual(Array.from(v.data));
    }
    expect(drawCase(CI_SAMPLE.seed + 1, 'CTCLoss', 17).draw).not.toEqual(first.draw);
  });

  it('keeps every case within 64K elements per tensor', () => {
    for (const c of sample) {
      for (const v of Object.values(c.inputs))
        if (typeof v !== 'number') expect(sizeOf(v.shape)).toBeLessThanOrEqual(65536);
    }
  });

  it('puts special values in the cases of special value classes', () => {
    const special = sample.filter((c) => c.draw.valueClass === 'nan' && c.draw.loss === 'L2Loss');
    expect(special.length).toBeGreaterThan(0);
    for (const c of special) expect(Array.from((c.inputs.pred as Tensor).data).some(Number.isNaN)).toBe(true);
  });

  it('draws inputs the spec accepts for most cases (the rest test MXNet and the spec reject alike)', () => {
    let accepted = 0;
    for (const c of sample) {
      try {
        planCall(c.draw.loss, parseConfig(c.draw.loss, c.draw.config), c.inputs);
        accepted++;
      } catch {
        // a rejection case: the differential run checks that MXNet rejects it too
      }
    }
    expect(accepted / sample.length).toBeGreaterThan(0.7);
  });
});
