/**
 * The input names `createLoss` types a call with are the spec's: for the config of every
 * golden case, each input the spec declares is in the table, required exactly when the
 * spec requires it. The compile-time half is checked by `pnpm typecheck` (the marked
 * lines must not compile).
 */
import { readGoldenDir } from '@gluon-loss/golden/node';
import { canonicalLossName, lossSpec, parseConfig, tensor } from '@gluon-loss/spec';
import { describe, expect, it } from 'vitest';
import { createLoss, LOSS_INPUT_NAMES } from '../src/index.js';

describe('the input names of each loss', () => {
  it("are the spec's, for every golden case's config", () => {
    let checked = 0;
    for (const c of readGoldenDir().cases) {
      const loss = canonicalLossName(c.loss);
      let config;
      try {
        config = parseConfig(loss, c.config);
      } catch {
        continue; // a config MXNet rejects has no inputs
      }
      const declared = lossSpec(loss).inputs(config);
      const table = LOSS_INPUT_NAMES[loss];
      expect(declared.filter((i) => !i.optional).map((i) => i.name)).toEqual([...table.required]);
      for (const i of declared.filter((x) => x.optional)) expect(table.optional, `${c.name}`).toContain(i.name);
      checked++;
    }
    expect(checked).toBeGreaterThan(300);
  });
});

// Never run: each marked call must fail to compile.
export async function compileTimeChecks(): Promise<void> {
  const t = tensor(Float32Array.from([1]), [1]);
  const l2 = await createLoss('L2Loss');
  await l2.forward({ pred: t, label: t, sample_weight: t });
  // @ts-expect-error: 'lable' is no input of L2Loss (and label is missing)
  await l2.forward({ pred: t, lable: t });
  const poisson = await createLoss('PoissonNLLLoss');
  await poisson.forwardBackward({ pred: t, target: t, epsilon: 1e-8 }, t);
  // @ts-expect-error: epsilon is a number
  await poisson.forward({ pred: t, target: t, epsilon: t });
  const dynamic = await createLoss(String('L2Loss'));
  await dynamic.forward({ anything: t }); // a run-time name: checked when called
}
