/**
 * The README's first example runs as written (it is plain JavaScript as well as
 * TypeScript) against the built package, and prints MXNet's values: SoftmaxCE on
 * pred [[0, 2], [1, 4]], labels [0, 1] gives [2.12692809, 0.04858733] in MXNet's own
 * test_loss.py.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

describe('the README example', () => {
  it('runs and prints the loss MXNet computes', () => {
    const readme = readFileSync(`${packageDir}README.md`, 'utf8');
    const example = /```ts\n([\s\S]*?)```/.exec(readme)![1]!;
    expect(example.split('\n').filter((l) => l.trim() !== '').length).toBeLessThanOrEqual(10);
    // Inside the package, so that `import 'gluon-loss'` resolves to this package's dist/.
    const file = `${packageDir}readme-example.tmp.mjs`;
    writeFileSync(file, example);
    try {
      const out = execFileSync(process.execPath, [file], { encoding: 'utf8' });
      const values = /Float32Array\(2\) \[ ([\d.e-]+), ([\d.e-]+) \]/.exec(out)!;
      expect(Number(values[1])).toBeCloseTo(2.12692809, 5);
      expect(Number(values[2])).toBeCloseTo(0.04858733, 5);
      expect(out).toContain('last call ran on');
    } finally {
      rmSync(file, { force: true });
    }
  });
});
