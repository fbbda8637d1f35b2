/**
 * One bench run: every case of the grid × every built-in backend (from the registry, so a
 * new backend is taken in without a change here; browser-only ones in the bench page in
 * headless Chromium) × forward and forwardBackward, with the anchors timed on the same
 * inputs in the same run: MXNet and, in the full grid, JAX (each a Python process),
 * tfjs's built-in losses on each tfjs
 * backend that runs, the router's choice, and at the end the memory roofline for every
 * byte count the cells moved. Nothing stops the run: a backend that cannot load or fails
 * mid-run marks its cells with the reason. Cases run one after another, and within a case
 * one cell at a time, so that nothing timed shares the cores with anything else timed.
 */
import { BUILTIN_BACKENDS, type BackendEntry } from '@gluon-loss/backends';
import { currentEnvironment, type Backend } from '@gluon-loss/spec';
import { CellFilter } from './filter.js';
import {
  FORMAT_VERSION,
  MODES,
  RESULTS_FORMAT,
  type BackendStatus,
  type BenchResults,
  type Cell,
  type Mode,
  type JaxReference,
  type MxnetReference,
  type RooflineEntry,
  type RouterSection,
} from './format.js';
import { fullGrid, quickGrid, type BenchCase } from './grid.js';
import { prepareCase, type PreparedCase } from './inputs.js';
import { describeMachine, packageVersions } from './machine.js';
import { FULL_TIMING, QUICK_TIMING, measure, withTimeout, type TimingSettings } from './measure.js';
import { COMPILE_TIMEOUT_MS, cellBase, describeError, timeBackend, timeBuiltin } from './time-cell.js';
import { mxnetWorker } from './mxnet.js';
import { jaxWorker } from './jax.js';
import type { AnchorWorker } from './python-anchor.js';
import { withRatios } from './ratios.js';
import { measureRoofline } from './roofline.js';
import * as gluonLoss from 'gluon-loss';
import type { RoutedLoss } from 'gluon-loss';
import { choiceOf, routeReasonOf } from './router.js';
import { BrowserBench } from './browser-bench.js';
import { TFJS_BUILTINS } from './tfjs-builtin.js';

export interface BenchOptions {
  readonly quick?: boolean;
  readonly filter?: readonly string[];
  /** Overrides the timing of the grid (tests use a tiny one). */
  readonly timing?: TimingSettings;
  /** The Python with mxnet==1.9.1; omit to leave MXNet out (its section says so). */
  readonly python?: string;
  readonly mxnetThreads?: number | 'default';
  /**
   * The Python of .venv-jax for the JAX anchor; omit to leave JAX out. Used by the full
   * grid only: a quick run never starts JAX (its section says so).
   */
  readonly jaxPython?: string;
  /** Time the router too (default true when it exists). */
  readonly router?: boolean;
  /** Time the browser-only backends in headless Chromium (default true when Chromium is there). */
  readonly browser?: boolean;
  /** The backends to consider (default: every built-in backend of the registry). */
  readonly backends?: readonly BackendEntry[];
  readonly onProgress?: (progress: Progress) => void;
  /** A line worth showing (a backend unavailable, MXNet starting). */
  readonly onLog?: (line: string) => void;
}

export interface Progress {
  readonly done: number;
  readonly total: number;
  /** Which table the cell belongs to: a backend, or an anchor. */
  readonly section: 'backend' | 'mxnet' | 'jax' | 'tfjsBuiltin' | 'router' | 'roofline';
  readonly cell?: Cell;
  readonly roofline?: RooflineEntry;
}

interface LoadedBackend {
  readonly entry: BackendEntry;
  /** Node: the backend object; browser: it lives in the bench page. */
  readonly where: 'node' | 'browser';
  readonly backend?: Backend;
  readonly status: BackendStatus;
}

/** Runs in Node, or (when not) in a browser only: those are timed in the bench page. */
const runsInNode = (e: BackendEntry): boolean => e.environments.includes(currentEnvironment());

async function loadBackend(entry: BackendEntry): Promise<LoadedBackend> {
  const base = { name: entry.name, environments: entry.environments };
  const t0 = performance.now();
  try {
    const backend = await entry.load();
    const availability = await withTimeout(backend.probe(), COMPILE_TIMEOUT_MS, `${entry.name}'s probe`);
    const initMs = performance.now() - t0;
    if (!availability.available)
      return {
        entry,
        where: 'node',
        backend,
        status: { ...base, available: false, reason: availability.reason, initMs },
      };
    return { entry, where: 'node', backend, status: { ...base, available: true, initMs } };
  } catch (e) {
    return { entry, where: 'node', status: { ...base, available: false, reason: describeError(e) } };
  }
}

/** The browser-only backends, loaded in the bench page; all unavailable with the reason if the page cannot run. */
async function startBrowser(
  entries: readonly BackendEntry[],
  wanted: boolean,
): Promise<{ bench?: BrowserBench; loaded: LoadedBackend[] }> {
  const unavailable = (reason: string): LoadedBackend[] =>
    entries.map((entry) => ({
      entry,
      where: 'browser',
      status: { name: entry.name, environments: entry.environments, available: false, reason },
    }));
  if (entries.length === 0) return { loaded: [] };
  if (!wanted)
    return {
      loaded: unavailable(
        `runs only in ${entries[0]!.environments.join(' or ')}; the browser part of the bench was turned off (--no-browser)`,
      ),
    };
  try {
    const bench = await BrowserBench.start(entries.map((e) => e.name));
    return {
      bench,
      loaded: entries.map((entry) => ({
        entry,
        where: 'browser',
        status: bench.statuses.find((s) => s.name === entry.name)!,
      })),
    };
  } catch (e) {
    return { loaded: unavailable(`runs only in a browser, and the bench page could not run: ${describeError(e)}`) };
  }
}

async function timeRouter(
  router: typeof gluonLoss,
  prepared: PreparedCase,
  mode: Mode,
  timing: TimingSettings,
): Promise<Cell> {
  const { loss, config } = prepared.benchCase;
  const base = cellBase(prepared, 'router', mode);
  let routed: RoutedLoss | undefined;
  try {
    const { timing: t } = await measure(
      async () => (routed = await withTimeout(router.createLoss(loss, config), COMPILE_TIMEOUT_MS, 'createLoss')),
      (r) => (mode === 'forward' ? r.forward(prepared.inputs) : r.forwardBackward(prepared.inputs, prepared.headGrad)),
      timing,
    );
    const explanation = routed!.explain();
    const choice = choiceOf(explanation);
    const reason = routeReasonOf(explanation, mode);
    // the route's reason (the router's words for its decision) goes in the cell's note
    return {
      ...base,
      status: 'ok',
      ...t,
      ...(choice ? { choice, ...(reason ? { note: reason } : {}) } : { note: 'explain() named no backend' }),
    };
  } catch (e) {
    return { ...base, status: 'failed', reason: describeError(e) };
  } finally {
    try {
      routed?.dispose();
    } catch {
      // reported by the cell
    }
  }
}

/** The tfjs variants among these backends (`tfjs-cpu` → `cpu`): the tfjs built-ins are timed on each. */
function tfjsVariantsOf(entries: readonly BackendEntry[]): string[] {
  return entries.filter((e) => e.name.startsWith('tfjs-')).map((e) => e.name.slice('tfjs-'.length));
}

export async function runBench(options: BenchOptions = {}): Promise<BenchResults> {
  const startedAt = new Date();
  const quick = options.quick ?? false;
  const timing = options.timing ?? (quick ? QUICK_TIMING : FULL_TIMING);
  const filter = new CellFilter(options.filter ?? []);
  const log = options.onLog ?? (() => {});
  const cases: BenchCase[] = (quick ? quickGrid() : fullGrid()).filter((c) =>
    filter.matches({ loss: c.loss, size: c.size }),
  );
  // nothing selected: load nothing and start nothing (the caller reports the empty run)
  const entries =
    cases.length === 0 ? [] : (options.backends ?? BUILTIN_BACKENDS).filter((e) => filter.matches({ backend: e.name }));
  const variants = tfjsVariantsOf(BUILTIN_BACKENDS.filter(runsInNode));
  // In the quick grid the browser-only backends (SwiftShader in CI: slow) time only the
  // smallest size of each loss, so that the CI run stays within a few minutes.
  const smallest = new Set(cases.filter((c, i) => cases.findIndex((d) => d.loss === c.loss) === i));
  const browserSkips = (c: BenchCase, backend?: string): boolean =>
    quick && !smallest.has(c) && backend !== undefined && entries.some((e) => e.name === backend && !runsInNode(e));
  const modesFor = (c: BenchCase, backend?: string): Mode[] =>
    browserSkips(c, backend)
      ? []
      : MODES.filter((mode) => filter.matches({ loss: c.loss, size: c.size, backend, mode }));

  // load and probe every backend first: their start-up cost is reported apart
  const loaded: LoadedBackend[] = [];
  for (const entry of entries.filter(runsInNode)) loaded.push(await loadBackend(entry));
  const browserEntries = entries.filter((e) => !runsInNode(e));
  if (browserEntries.length > 0) log(`starting Chromium for ${browserEntries.map((e) => e.name).join(', ')}`);
  const browser = await startBrowser(browserEntries, options.browser !== false);
  loaded.push(...browser.loaded);
  for (const l of loaded) if (!l.status.available) log(`${l.entry.name}: unavailable: ${l.status.reason}`);
  // tfjs's built-ins run on every tfjs backend that runs: in Node, and in the page
  const browserVariants = tfjsVariantsOf(browser.loaded.filter((l) => l.status.available).map((l) => l.entry));

  let mxnet: AnchorWorker | undefined;
  let mxnetSection: Omit<MxnetReference, 'cells'> = { status: 'unavailable', reason: 'not requested (no --python)' };
  const versions: Record<string, string> = packageVersions();
  if (options.python !== undefined && cases.length > 0) {
    const threads = options.mxnetThreads ?? 'default';
    const worker = mxnetWorker({ python: options.python, threads, timing });
    try {
      log(`starting MXNet (${options.python})`);
      const info = await worker.start();
      Object.assign(versions, { mxnet: info.mxnet!, numpy: info.numpy!, python: info.python! });
      mxnetSection = { status: 'ok', threads, ...(info.engine ? { engine: info.engine } : {}) };
      mxnet = worker;
    } catch (e) {
      worker.close();
      mxnetSection = { status: 'unavailable', reason: describeError(e) };
      log(`MXNet unavailable: ${mxnetSection.reason}`);
    }
  }

  let jax: AnchorWorker | undefined;
  let jaxSection: Omit<JaxReference, 'cells'> = {
    status: 'unavailable',
    reason: quick ? 'the quick grid leaves JAX out' : 'not requested (no JAX Python)',
  };
  if (!quick && options.jaxPython !== undefined && cases.length > 0) {
    const worker = jaxWorker({ python: options.jaxPython, timing });
    try {
      log(`starting JAX (${options.jaxPython})`);
      const info = await worker.start();
      Object.assign(versions, {
        jax: info.jax!,
        jaxlib: info.jaxlib!,
        optax: info.optax!,
        jaxNumpy: info.numpy!,
        jaxPython: info.python!,
      });
      jaxSection = { status: 'ok', threads: 'default', ...(info.device ? { device: info.device } : {}) };
      jax = worker;
    } catch (e) {
      worker.close();
      jaxSection = { status: 'unavailable', reason: describeError(e) };
      log(`JAX unavailable: ${jaxSection.reason}`);
    }
  }

  let router: typeof gluonLoss | undefined;
  let routerSection: Omit<RouterSection, 'cells'> = { status: 'unavailable', reason: 'not requested' };
  if (options.router !== false && cases.length > 0) {
    router = gluonLoss;
    routerSection = { status: 'ok' };
  }

  const total = cases.reduce(
    (sum, c) =>
      sum +
      loaded.reduce((s, l) => s + modesFor(c, l.entry.name).length, 0) +
      (TFJS_BUILTINS[c.loss]
        ? variants.length * modesFor(c).length +
          browserVariants.reduce((s, v) => s + modesFor(c, `tfjs-${v}`).length, 0)
        : 0) +
      (mxnet ? modesFor(c).length : 0) +
      (jax ? modesFor(c).length : 0) +
      (router ? modesFor(c).length : 0),
    0,
  );
  let done = 0;
  const cells: Cell[] = [];
  const mxnetCells: Cell[] = [];
  const jaxCells: Cell[] = [];
  const builtinCells: Cell[] = [];
  const routerCells: Cell[] = [];
  const report = (section: Progress['section'], cell: Cell, into: Cell[]): void => {
    into.push(cell);
    options.onProgress?.({ done: ++done, total, section, cell });
  };

  try {
    for (const benchCase of cases) {
      const prepared = prepareCase(benchCase);
      const inPage: { name: string; modes: Mode[] }[] = [];
      for (const l of loaded) {
        const modes = modesFor(benchCase, l.entry.name);
        if (l.where === 'browser' && l.status.available && modes.length > 0) {
          inPage.push({ name: l.entry.name, modes });
          continue;
        }
        for (const mode of modes) {
          const cell: Cell =
            l.backend === undefined || !l.status.available
              ? {
                  ...cellBase(prepared, l.entry.name, mode),
                  status: 'unavailable',
                  reason: l.status.reason ?? 'unavailable',
                }
              : await timeBackend(l.backend, prepared, mode, timing);
          report('backend', cell, cells);
        }
      }
      if (TFJS_BUILTINS[benchCase.loss]) {
        for (const variant of variants) {
          for (const mode of modesFor(benchCase))
            report('tfjsBuiltin', await timeBuiltin(variant, prepared, mode, timing), builtinCells);
        }
      }
      const pageBuiltins = TFJS_BUILTINS[benchCase.loss]
        ? browserVariants
            .map((variant) => ({ variant, modes: modesFor(benchCase, `tfjs-${variant}`) }))
            .filter((b) => b.modes.length > 0)
        : [];
      if (browser.bench && (inPage.length > 0 || pageBuiltins.length > 0)) {
        for (const cell of await browser.bench.runCase({
          benchCase,
          backends: inPage,
          builtins: pageBuiltins,
          timing,
        })) {
          if (cell.builtin === undefined) report('backend', cell, cells);
          else report('tfjsBuiltin', cell, builtinCells);
        }
      }
      if (mxnet) {
        const modes = modesFor(benchCase);
        if (modes.length > 0) for (const cell of await mxnet.run(prepared, modes)) report('mxnet', cell, mxnetCells);
      }
      if (jax) {
        const modes = modesFor(benchCase);
        if (modes.length > 0) for (const cell of await jax.run(prepared, modes)) report('jax', cell, jaxCells);
      }
      if (router) {
        for (const mode of modesFor(benchCase))
          report('router', await timeRouter(router, prepared, mode, timing), routerCells);
      }
    }
  } finally {
    mxnet?.close();
    jax?.close();
    await browser.bench?.close();
    for (const l of loaded) {
      try {
        await l.backend?.dispose?.();
      } catch {
        // the run is over; a backend that cannot free its runtime changes no figure
      }
    }
  }

  const byteCounts = [
    ...new Set(
      [...cells, ...builtinCells, ...mxnetCells, ...jaxCells]
        .map((c) => c.bytes)
        .filter((b): b is number => b !== undefined),
    ),
  ].sort((a, b) => a - b);
  const roofline: RooflineEntry[] = [];
  for (const bytes of byteCounts) {
    const entry = await measureRoofline(bytes, timing);
    roofline.push(entry);
    options.onProgress?.({ done, total, section: 'roofline', roofline: entry });
  }

  return withRatios({
    format: RESULTS_FORMAT,
    formatVersion: FORMAT_VERSION,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    quick,
    filter: [...(options.filter ?? [])],
    settings: { timeMs: timing.timeMs, minIterations: timing.minIterations, warmupIterations: timing.warmupIterations },
    machine: describeMachine(),
    versions,
    backends: loaded.map((l) => l.status),
    cells,
    reference: {
      mxnet: { ...mxnetSection, cells: mxnetCells },
      jax: { ...jaxSection, cells: jaxCells },
      tfjsBuiltin: { cells: builtinCells },
      roofline,
    },
    router: { ...routerSection, cells: routerCells },
  });
}
