/**
 * The spec's shape rules, input declarations and config schemas checked against what
 * MXNet 1.9.1 did with every golden case: the spec must accept what MXNet accepted (with
 * MXNet's output shape and gradient set) and reject what MXNet rejected, at the same stage.
 */
import { describe, expect, it } from 'vitest';
import { canonicalLossName, lossSpec, parseConfig, planCall } from '@gluon-loss/spec';
import { readGoldenDir } from '../src/node.js';

const suite = readGoldenDir();
const calls = suite.cases.filter((c) => c.kind === 'call');
const rejections = suite.cases.filter((c) => c.kind === 'error');

function kindOf(e: unknown): string | undefined {
  return (e as { kind?: string }).kind;
}

describe('golden files', () => {
  it('come from MXNet 1.9.1 and cover every loss with at least 15 cases, 250 in all', () => {
    expect(suite.reference.mxnet).toBe('1.9.1');
    const perLoss = new Map<string, number>();
    for (const c of suite.cases)
      perLoss.set(canonicalLossName(c.loss), (perLoss.get(canonicalLossName(c.loss)) ?? 0) + 1);
    expect(perLoss.size).toBe(14);
    for (const [, n] of perLoss) expect(n).toBeGreaterThanOrEqual(15);
    expect(suite.cases.length).toBeGreaterThanOrEqual(250);
  });

  it('name every case Loss/case-name, uniquely', () => {
    const names = suite.cases.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    for (const c of suite.cases) expect(c.name.startsWith(`${canonicalLossName(c.loss)}/`)).toBe(true);
  });

  it('construct losses by both aliases', () => {
    const used = new Set(suite.cases.map((c) => c.loss));
    expect(used.has('SigmoidBCELoss')).toBe(true);
    expect(used.has('SoftmaxCELoss')).toBe(true);
  });
});

describe.each(calls.map((c) => [c.name, c] as const))('%s', (_name, c) => {
  it("is accepted by the spec with MXNet's output shape and gradient set", () => {
    if (c.kind !== 'call') throw new Error('not a call case');
    const config = parseConfig(c.loss, c.config);
    const plan = planCall(c.loss, config, c.inputs);
    expect(plan.outputShape).toEqual(c.expectedLoss.shape);
    expect([...plan.gradInputs].sort()).toEqual(Object.keys(c.expectedGrads).sort());
    for (const [name, g] of Object.entries(c.expectedGrads)) {
      expect(g.shape).toEqual((c.inputs[name] as { shape: readonly number[] }).shape);
    }
    const declared = lossSpec(c.loss)
      .inputs(config as never)
      .map((d) => d.name);
    for (const name of Object.keys(c.inputs)) expect(declared).toContain(name);
  });
});

describe.each(rejections.map((c) => [c.name, c] as const))('%s', (_name, c) => {
  it('is rejected by the spec at the stage MXNet rejects it', () => {
    if (c.kind !== 'error') throw new Error('not an error case');
    if (c.errorKind === 'config') {
      expect(() => parseConfig(c.loss, c.config)).toThrow();
      try {
        parseConfig(c.loss, c.config);
      } catch (e) {
        expect(kindOf(e)).toBe('config');
      }
      return;
    }
    const config = parseConfig(c.loss, c.config);
    let thrown: unknown;
    try {
      planCall(c.loss, config, c.inputs);
    } catch (e) {
      thrown = e;
    }
    expect(thrown, 'planCall accepted a case MXNet rejects').toBeDefined();
    expect(['input', 'shape', 'dtype']).toContain(kindOf(thrown));
  });
});
