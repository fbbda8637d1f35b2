import { LOSS_NAMES } from '@gluon-loss/spec';
import { describe, expect, it } from 'vitest';
import { LOSSES } from '../src/loss-table.js';

describe('the loss table', () => {
  it("has every loss of the spec's registry, and nothing else", () => {
    expect(Object.keys(LOSSES).sort()).toEqual([...LOSS_NAMES].sort());
    for (const name of LOSS_NAMES) expect(typeof LOSSES[name], name).toBe('function');
  });
});
