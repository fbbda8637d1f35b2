/**
 * The examples run as a user runs them (`node examples/<file>.mjs`) and print what their
 * comments say: a loss that goes down, no tensor left behind, the app's backend kept.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const run = (file: string): string =>
  execFileSync(process.execPath, [fileURLToPath(new URL(`../${file}`, import.meta.url))], { encoding: 'utf8' });

const losses = (out: string): number[] => [...out.matchAll(/loss \[?([0-9.]+)/g)].map((m) => Number(m[1]));

describe('examples', () => {
  it('node-training.mjs trains the classifier inside optimizer.minimize', () => {
    const out = run('node-training.mjs');
    const curve = losses(out);
    expect(curve).toHaveLength(5);
    expect(curve[0]).toBeCloseTo(Math.log(3), 4); // zero weights: uniform over 3 classes
    expect(curve[4]!).toBeLessThan(curve[0]! / 3);
    expect(out).toMatch(/accuracy (0\.9\d|1\.00), backend cpu/);
    const [, first, last] = /tensors after the first step (\d+), after the last (\d+)/.exec(out)!;
    expect(last).toBe(first);
  });

  it('router-training-step.mjs steps with the default head gradient', () => {
    const out = run('router-training-step.mjs');
    const curve = losses(out);
    expect(curve).toHaveLength(3);
    expect(curve[0]).toBeCloseTo(2.1269, 4); // MXNet's test_loss.py value for these logits
    expect(curve[2]!).toBeLessThan(curve[0]!);
  });
});
