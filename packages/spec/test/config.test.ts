import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ALL_LOSS_NAMES,
  lossListJson,
  ConfigError,
  GluonLossError,
  LOSS_NAMES,
  UnknownLossError,
  canonicalLossName,
  configReferenceMarkdown,
  parseConfig,
} from '../src/index.js';

function thrown(fn: () => unknown): GluonLossError {
  try {
    fn();
  } catch (e) {
    if (e instanceof GluonLossError) return e;
    throw new Error(`not a GluonLossError: ${String(e)}`, { cause: e });
  }
  throw new Error('did not throw');
}

describe('loss names', () => {
  it('are the 14 losses of mxnet.gluon.loss 1.9.1 plus two aliases', () => {
    expect(LOSS_NAMES).toHaveLength(14);
    expect(ALL_LOSS_NAMES).toContain('SigmoidBCELoss');
    expect(canonicalLossName('SoftmaxCELoss')).toBe('SoftmaxCrossEntropyLoss');
    expect(canonicalLossName('SigmoidBCELoss')).toBe('SigmoidBinaryCrossEntropyLoss');
  });

  it('reject an unknown loss with the known names', () => {
    const e = thrown(() => parseConfig('MSELoss', {}));
    expect(e).toBeInstanceOf(UnknownLossError);
    expect(e.kind).toBe('unknown-loss');
    expect(e.message).toContain('"MSELoss"');
    expect(e.message).toContain('SoftmaxCELoss');
  });
});

describe('configs', () => {
  it("fill in MXNet's defaults", () => {
    expect(parseConfig('L2Loss')).toEqual({ weight: 1, batch_axis: 0 });
    expect(parseConfig('SoftmaxCELoss')).toEqual({
      axis: -1,
      sparse_label: true,
      from_logits: false,
      weight: null,
      batch_axis: 0,
    });
    expect(parseConfig('KLDivLoss')).toEqual({ from_logits: true, axis: -1, weight: null, batch_axis: 0 });
    expect(parseConfig('CTCLoss')).toEqual({ layout: 'NTC', label_layout: 'NT', weight: null });
    expect(parseConfig('PoissonNLLLoss')).toEqual({
      weight: null,
      from_logits: true,
      batch_axis: 0,
      compute_full: false,
    });
    expect(parseConfig('SDMLLoss')).toEqual({ smoothing_parameter: 0.3, weight: 1, batch_axis: 0 });
    expect(parseConfig('HuberLoss', { rho: 2 })).toEqual({ rho: 2, weight: null, batch_axis: 0 });
  });

  it('reject an unknown key, naming the loss, the key and the known keys', () => {
    const e = thrown(() => parseConfig('HingeLoss', { margn: 2 }));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.loss).toBe('HingeLoss');
    expect(e.argument).toBe('margn');
    expect(e.message).toMatch(/^HingeLoss: margn: expected a known parameter \(margin, weight, batch_axis\)/);
  });

  it("reject HuberLoss(rho=0), which MXNet's 0.5 / rho refuses with ZeroDivisionError", () => {
    for (const rho of [0, -0]) {
      const e = thrown(() => parseConfig('HuberLoss', { rho }));
      expect(e).toBeInstanceOf(ConfigError);
      expect(e.message).toBe('HuberLoss: rho: expected a finite nonzero number (MXNet divides by it), got 0');
    }
    expect(parseConfig('HuberLoss', { rho: -1 }).rho).toBe(-1);
  });

  it('reject a mistyped value with what the key accepts', () => {
    const e = thrown(() => parseConfig('CTCLoss', { layout: 'NCT' }));
    expect(e.argument).toBe('layout');
    expect(e.expected).toBe('one of "NTC", "TNC"');
    expect(e.received).toBe('"NCT"');
    expect(thrown(() => parseConfig('L1Loss', { batch_axis: 0.5 })).expected).toBe('an integer axis');
    expect(thrown(() => parseConfig('SigmoidBCELoss', { from_sigmoid: 1 })).expected).toBe('a boolean');
  });

  it('reject a NaN or infinite weight (stricter than MXNet)', () => {
    for (const weight of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const e = thrown(() => parseConfig('L1Loss', { weight }));
      expect(e.kind).toBe('config');
      expect(e.argument).toBe('weight');
      expect(e.expected).toBe('a finite number or null');
    }
  });

  it("refuse L2Loss's weight=None, which MXNet fails on at the first call", () => {
    expect(thrown(() => parseConfig('L2Loss', { weight: null })).expected).toBe('a finite number');
  });

  it('reject a config that is not an object', () => {
    expect(thrown(() => parseConfig('L1Loss', [1])).argument).toBe('config');
    expect(thrown(() => parseConfig('L1Loss', 3)).argument).toBe('config');
  });
});

describe('the config reference', () => {
  it('in docs/ is the one generated from the schemas (run `pnpm docs`)', () => {
    const committed = readFileSync(new URL('../../../docs/config-reference.md', import.meta.url), 'utf8');
    expect(committed).toBe(configReferenceMarkdown());
  });
});

describe('a config that is not a plain object', () => {
  it('a Map is a ConfigError (its entries are not keys the schema reads), not a default config', () => {
    const error = (() => {
      try {
        parseConfig('L2Loss', new Map([['weight', 3]]));
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain('got a Map');
  });
});

describe('the loss list for the Python generator', () => {
  it('in packages/spec/losses.json is the registry, in its order (run `pnpm docs`)', () => {
    const committed = readFileSync(new URL('../losses.json', import.meta.url), 'utf8');
    expect(committed).toBe(lossListJson());
    expect((JSON.parse(committed) as { losses: { name: string }[] }).losses.map((l) => l.name)).toEqual(LOSS_NAMES);
  });
});
