/** Decisions export and import: a JSON string, and a file in Node (`gluon-loss/node`). */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DecisionsFormatError, createRouter } from '../src/index.js';
import { loadDecisions, saveDecisions } from '../src/node.js';
import {
  FakeClock,
  Recorder,
  l2Call,
  scriptedBackend,
  scriptedRouter,
  type Script,
  type ScriptedRouter,
} from './fixtures/scripted-backends.js';

const SCRIPTS: readonly Script[] = [
  { name: 'a', cost: 3 },
  { name: 'b', cost: 1 },
];

function setup(scripts: readonly Script[] = SCRIPTS): ScriptedRouter {
  return scriptedRouter(scripts);
}

/** Decides two buckets and both modes on a fresh router; returns its export. */
async function decidedExport(): Promise<string> {
  const { router } = setup();
  const loss = await router.createLoss('L2Loss');
  for (const [rows, cols] of [
    [4, 8],
    [64, 8],
  ] as const) {
    const { inputs, headGrad } = l2Call(rows, cols);
    await loss.forward(inputs);
    await loss.forwardBackward(inputs, headGrad);
  }
  expect(router.decisions()).toHaveLength(4);
  return router.exportDecisions();
}

describe('export and import', () => {
  it('round-trips: the importing router runs the decided backend without timing', async () => {
    const json = await decidedExport();
    const { router, recorder, backends } = setup();
    expect(router.importDecisions(json)).toEqual({ imported: 4, skipped: 0 });
    const loss = await router.createLoss('L2Loss');
    const { inputs, headGrad } = l2Call(4, 8);
    const r = await loss.forwardBackward(inputs, headGrad);
    expect(recorder.producerOf(r)).toBe('b');
    expect(backends.a!.calls).toBe(0); // nothing timed
    expect(backends.b!.calls).toBe(1);
    const route = loss.explain().routes[0]!;
    expect(route).toMatchObject({ backend: 'b', rule: 'fastest', source: 'imported', fallbacks: ['a'] });
    expect(route.timings.map((t) => [t.backend, t.medianMs])).toEqual([
      ['a', 3],
      ['b', 1],
    ]);
    // What it exports again is what it imported.
    expect(JSON.parse(router.exportDecisions())).toEqual(JSON.parse(json));
  });

  it('decides again where an imported decision names a backend that is unavailable here', async () => {
    const json = await decidedExport();
    const { router, recorder } = setup([
      { name: 'a', cost: 3 },
      { name: 'b', unavailable: 'no adapter on this machine' },
      { name: 'c', cost: 2 },
    ]);
    router.importDecisions(json);
    const loss = await router.createLoss('L2Loss');
    const r = await loss.forward(l2Call(4, 8).inputs);
    expect(recorder.producerOf(r)).toBe('c');
    const route = loss.explain().routes[0]!;
    expect(route).toMatchObject({ backend: 'c', rule: 'fastest', source: 'decided' });
    expect(route.reason).toContain('imported decision for b does not hold here');
  });

  it('never lets an imported decision run a backend that is not eligible for the loss', async () => {
    const json = await decidedExport();
    const clock = new FakeClock();
    const recorder = new Recorder();
    const a = scriptedBackend({ name: 'a', cost: 3 }, clock, recorder);
    const b = scriptedBackend({ name: 'b', cost: 1 }, clock, recorder);
    const router = createRouter({
      builtins: false,
      backends: [
        { backend: a, eligibility: ['L2Loss'] },
        { backend: b, eligibility: ['L1Loss'] },
      ],
      clock: clock.read,
    });
    router.importDecisions(json);
    const loss = await router.createLoss('L2Loss');
    await loss.forward(l2Call(4, 8).inputs);
    expect(loss.explain().backend).toBe('a');
    expect(b.calls).toBe(0);
  });

  it('skips decisions made in another environment, and keeps decisions already made', async () => {
    const json = await decidedExport();
    const browser = createRouter({ builtins: false, environment: 'browser' });
    expect(browser.importDecisions(json)).toEqual({ imported: 0, skipped: 4 });
    const { router } = setup();
    router.importDecisions(json);
    expect(router.importDecisions(json)).toEqual({ imported: 0, skipped: 4 });
  });

  it('rejects text that is not an export', () => {
    const { router } = setup();
    expect(() => router.importDecisions('{')).toThrow(DecisionsFormatError);
    expect(() => router.importDecisions('{"format":"something-else"}')).toThrow(DecisionsFormatError);
    const bad = JSON.stringify({
      format: 'gluon-loss-decisions',
      formatVersion: 1,
      environment: 'node',
      decisions: [{ loss: 'L2Loss' }],
    });
    expect(() => router.importDecisions(bad)).toThrow(/decisions\[0\]\.config/);
  });
});

describe('gluon-loss/node file helpers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gluon-decisions-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('saveDecisions then loadDecisions carries the decisions to another router', async () => {
    const { router } = setup();
    const loss = await router.createLoss('L2Loss');
    await loss.forward(l2Call().inputs);
    const file = join(dir, 'decisions.json');
    saveDecisions(file, router);
    const next = setup();
    expect(loadDecisions(file, next.router)).toEqual({ imported: 1, skipped: 0 });
    expect(next.router.decisions()[0]).toMatchObject({ backend: 'b', source: 'imported' });
  });

  it('a missing file imports nothing; a malformed one throws', () => {
    const { router } = setup();
    expect(loadDecisions(join(dir, 'absent.json'), router)).toEqual({ imported: 0, skipped: 0 });
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, 'not json');
    expect(() => loadDecisions(bad, router)).toThrow(DecisionsFormatError);
  });
});
