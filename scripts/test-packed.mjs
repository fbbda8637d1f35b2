#!/usr/bin/env node
/**
 * gluon-loss as users install it: packs the published packages (`pnpm pack`), installs the
 * tarballs with npm into fresh projects outside the workspace, and in each project
 * type-checks a TypeScript program in strict mode (loss names, config keys and input names
 * checked at compile time) and runs it. Projects: ts only (the default install: its size, no install
 * scripts, the other backends listed with what to install), with tfjs (cpu, wasm), with
 * onnxruntime-node (its install script kept from downloading GPU libraries), and a Vite app
 * (scripts/packed-vite-app: built with no configuration, served, run in headless Chromium,
 * its results checked against MXNet's goldens in the page and the bytes it downloads
 * counted: a page of small calls stays under 1 MB, heavy runtimes load for a big call and
 * find their wasm files).
 *
 * Run after `pnpm build`: `node scripts/test-packed.mjs` (node:test; KEEP_PACKED=1 keeps
 * the projects). Registry packages come from npm's registry (and its cache); nothing else
 * is downloaded.
 */
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { testOutsideBackend } from './test-packed-outside-backend.mjs';
import { launchChromium } from '../packages/conformance/dist/chromium.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');

/** The published packages: directory in the workspace, name, tarball. */
const PUBLISHED = {
  'gluon-loss': 'packages/router',
  '@gluon-loss/spec': 'packages/spec',
  '@gluon-loss/backends': 'packages/backends',
  '@gluon-loss/backend-ts': 'packages/backend-ts',
  '@gluon-loss/backend-wasm': 'packages/backend-wasm',
  '@gluon-loss/backend-tfjs': 'packages/backend-tfjs',
  '@gluon-loss/backend-onnx': 'packages/backend-onnx',
  '@gluon-loss/conformance': 'packages/conformance',
  '@gluon-loss/golden': 'conformance',
  '@gluon-loss/tfjs': 'packages/tfjs',
};
const DEFAULT_INSTALL = [
  'gluon-loss',
  '@gluon-loss/spec',
  '@gluon-loss/backends',
  '@gluon-loss/backend-ts',
  '@gluon-loss/backend-wasm',
];
const MAX_DEFAULT_INSTALL_BYTES = 15 * 1024 * 1024;

// MXNet 1.9.1: gluon.loss.SoftmaxCELoss()(pred, label) and pred.grad after backward().
const PRED = [0, 2, 1, 4];
const LABEL = [0, 1];
const MXNET_LOSS = [2.126924991607666, 0.04859074205160141];
const MXNET_GRAD = [-0.8807967305183411, 0.8807997703552246, 0.04742572084069252, -0.04742908477783203];

const work = mkdtempSync(join(tmpdir(), 'gluon-packed-'));
const tarballs = join(work, 'tarballs');

function run(cmd, args, cwd, env = {}) {
  try {
    return execFileSync(cmd, args, { cwd, env: { ...process.env, ...env }, encoding: 'utf8', stdio: 'pipe' });
  } catch (e) {
    throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd}:\n${e.stdout ?? ''}\n${e.stderr ?? ''}`, { cause: e });
  }
}

function tarballOf(name) {
  const file = `${name.replace(/^@/, '').replace('/', '-')}-0.1.0.tgz`;
  return join(tarballs, file);
}

function directorySize(dir) {
  let bytes = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) bytes += directorySize(path);
    else if (entry.isFile()) bytes += statSync(path).size;
  }
  return bytes;
}

/** Every package.json under node_modules (nested ones too). */
function installedManifests(dir) {
  const out = [];
  const visit = (modules) => {
    if (!existsSync(modules)) return;
    for (const entry of readdirSync(modules)) {
      if (entry.startsWith('.')) continue;
      const dirs = entry.startsWith('@') ? readdirSync(join(modules, entry)).map((e) => join(entry, e)) : [entry];
      for (const d of dirs) {
        const manifest = join(modules, d, 'package.json');
        if (existsSync(manifest)) out.push({ dir: join(modules, d), json: JSON.parse(readFileSync(manifest, 'utf8')) });
        visit(join(modules, d, 'node_modules'));
      }
    }
  };
  visit(join(dir, 'node_modules'));
  return out;
}

/** Each source map of our packages names sources that exist beside it. */
function unresolvedSourceMaps(projectDir) {
  const missing = [];
  let maps = 0;
  for (const { dir, json } of installedManifests(projectDir)) {
    if (!(json.name in PUBLISHED)) continue;
    const visit = (d) => {
      for (const entry of readdirSync(d, { withFileTypes: true })) {
        const path = join(d, entry.name);
        if (entry.isDirectory()) visit(path);
        else if (entry.name.endsWith('.map')) {
          maps++;
          for (const source of JSON.parse(readFileSync(path, 'utf8')).sources)
            if (!existsSync(resolve(dirname(path), source))) missing.push(`${path}: ${source}`);
        }
      }
    };
    visit(join(dir, 'dist'));
  }
  return { maps, missing };
}

const TSCONFIG = {
  compilerOptions: {
    strict: true,
    noUncheckedIndexedAccess: true,
    exactOptionalPropertyTypes: true,
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    target: 'ES2022',
    lib: ['ES2022', 'DOM'],
    types: [],
    skipLibCheck: false,
    outDir: 'build',
  },
  include: ['check.ts'],
};

/** The program every project type-checks and runs; `backends` are those it must find available. */
function checkProgram(backends) {
  return `import { createLoss, getDefaultRouter, tensor, type LossName } from 'gluon-loss';

const pred = tensor(Float32Array.from(${JSON.stringify(PRED)}), [2, 2]);
const label = tensor(Float32Array.from(${JSON.stringify(LABEL)}), [2]);
const headGrad = tensor(Float32Array.from([1, 1]), [2]);
const MXNET_LOSS = ${JSON.stringify(MXNET_LOSS)};
const MXNET_GRAD = ${JSON.stringify(MXNET_GRAD)};

function close(name: string, got: ArrayLike<number>, want: readonly number[]): void {
  // The conformance rule: |got - want| <= 1e-5 + 1e-4 * |want|, element by element.
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i]! - want[i]!) <= 1e-5 + 1e-4 * Math.abs(want[i]!)))
      throw new Error(\`\${name}[\${i}] = \${got[i]}, MXNet gives \${want[i]}\`);
  }
  if (got.length !== want.length) throw new Error(\`\${name} has \${got.length} elements, MXNet's \${want.length}\`);
}

// Compile-time checks, never run: each line marked below must fail to type-check (tsc
// fails on a marker with no error under it).
export async function compileTimeChecks(): Promise<void> {
  // @ts-expect-error: not a loss of mxnet.gluon.loss
  await createLoss('SoftmaxCELos');
  // @ts-expect-error: not a key of SoftmaxCELoss's config
  await createLoss('SoftmaxCELoss', { sparse_labels: true });
  // @ts-expect-error: sparse_label is a boolean
  await createLoss('SoftmaxCELoss', { sparse_label: 'yes' });
  const l2 = await createLoss('L2Loss');
  // @ts-expect-error: 'lable' is no input of L2Loss
  await l2.forward({ pred, lable: label });
  // @ts-expect-error: PoissonNLLLoss's label is called target
  await (await createLoss('PoissonNLLLoss')).forward({ pred, label });
  const known: LossName = 'L2Loss';
  await createLoss(known);
  await createLoss(String('a name known at run time'));
}

const ran: string[] = [];
for (const backend of ${JSON.stringify(backends)}) {
  const ce = await createLoss('SoftmaxCELoss', { sparse_label: true }, { policy: \`only:\${backend}\` });
  const { loss, grads } = await ce.forwardBackward({ pred, label }, headGrad);
  close(\`\${backend} loss\`, loss.data, MXNET_LOSS);
  close(\`\${backend} grad of pred\`, grads['pred']!.data, MXNET_GRAD);
  ran.push(ce.explain().lastCall?.backend ?? 'no call');
  ce.dispose();
}
const fastest = await createLoss('SoftmaxCrossEntropyLoss');
close('fastest loss', (await fastest.forward({ pred, label })).loss.data, MXNET_LOSS);
const availability = getDefaultRouter().availability();
console.log(JSON.stringify({ ran, availability }));
`;
}

/** Makes a project that depends on `packages` (tarballs by name, or registry versions) and installs it. */
function project(name, { gluon, registry = {}, npmrc = '' }) {
  const dir = join(work, name);
  mkdirSync(dir);
  const dependencies = Object.fromEntries([
    ...gluon.map((p) => [p, `file:${tarballOf(p)}`]),
    ...Object.entries(registry),
  ]);
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name, private: true, type: 'module', dependencies }, null, 2),
  );
  if (npmrc !== '') writeFileSync(join(dir, '.npmrc'), npmrc);
  const t0 = Date.now();
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], dir);
  return { dir, installMs: Date.now() - t0 };
}

/**
 * A program of the app's own tfjs and `@gluon-loss/tfjs`: MXNet's value and gradient through
 * `tf.grad`, one `optimizer.minimize` step, no tensor left behind, the app's backend kept.
 */
function tfLossProgram() {
  return `import * as tf from '@tensorflow/tfjs';
import { tfLoss } from '@gluon-loss/tfjs';

const MXNET_LOSS = ${JSON.stringify(MXNET_LOSS)};
const MXNET_GRAD = ${JSON.stringify(MXNET_GRAD)};

function close(name: string, got: ArrayLike<number>, want: readonly number[]): void {
  // The conformance rule: |got - want| <= 1e-5 + 1e-4 * |want|, element by element.
  if (got.length !== want.length) throw new Error(\`\${name} has \${got.length} elements, MXNet's \${want.length}\`);
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i]! - want[i]!) <= 1e-5 + 1e-4 * Math.abs(want[i]!)))
      throw new Error(\`\${name}[\${i}] = \${got[i]}, MXNet gives \${want[i]}\`);
  }
}

await tf.setBackend('cpu');
const ce = tfLoss('SoftmaxCELoss', { sparse_label: true });
// @ts-expect-error: not a loss of mxnet.gluon.loss
export const misspelt = () => tfLoss('SoftmaxCELos');
const pred = tf.tensor(${JSON.stringify(PRED)}, [2, 2]);
const label = tf.tensor(${JSON.stringify(LABEL)}, [2], 'int32');
const before = tf.memory().numTensors;
const loss = ce(pred, label);
close('loss', loss.dataSync(), MXNET_LOSS);
const grad = tf.grad((p: tf.Tensor) => ce(p, label))(pred);
close('grad pred', grad.dataSync(), MXNET_GRAD);
tf.dispose([loss, grad]);
const initial = tf.zeros([2, 2]);
const weight = tf.variable(initial);
initial.dispose();
const optimizer = tf.train.sgd(0.1);
let afterFirstStep = -1;
for (let step = 0; step < 3; step++) {
  const cost = optimizer.minimize(() => tf.mean(ce(tf.matMul(pred, weight), label)) as tf.Scalar, true);
  if (cost !== null) cost.dispose();
  if (step === 0) afterFirstStep = tf.memory().numTensors;
}
// Steady over the steps; and once the loss, the optimizer and the variable are disposed,
// nothing of the loss's is left (its few shape-keyed constants go with dispose()).
const steady = tf.memory().numTensors === afterFirstStep;
ce.dispose();
optimizer.dispose();
weight.dispose();
const leaked = tf.memory().numTensors - before;
console.log(JSON.stringify({ backend: tf.getBackend(), steady, leaked }));
`;
}

/** Type-checks (strict) and runs train.ts (tfLossProgram); returns what it printed. */
function typeCheckAndRunTfLoss(dir) {
  writeFileSync(join(dir, 'train.ts'), tfLossProgram());
  // tfjs 4.22's own declarations do not pass this strict a check (hash_util's \`Long\`,
  // tfjs-layers' LayersModel); ours are checked with skipLibCheck off in check.ts.
  const tsconfig = {
    ...TSCONFIG,
    compilerOptions: { ...TSCONFIG.compilerOptions, skipLibCheck: true },
    include: ['train.ts'],
  };
  writeFileSync(join(dir, 'tsconfig.train.json'), JSON.stringify(tsconfig, null, 2));
  run(process.execPath, [tsc, '-p', 'tsconfig.train.json'], dir);
  return JSON.parse(run(process.execPath, ['build/train.js'], dir).trim().split('\n').at(-1));
}

/** Type-checks (strict) and runs check.ts; returns what it printed. */
function typeCheckAndRun(dir, backends) {
  writeFileSync(join(dir, 'check.ts'), checkProgram(backends));
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2));
  run(process.execPath, [tsc, '-p', 'tsconfig.json'], dir);
  return JSON.parse(run(process.execPath, ['build/check.js'], dir).trim().split('\n').at(-1));
}

function assertUnavailable(availability, expected) {
  for (const [backend, advice] of Object.entries(expected)) {
    const entry = availability.find((a) => a.backend === backend);
    assert.equal(entry?.state, 'unavailable', `${backend} should be unavailable`);
    assert.ok(entry.reason.endsWith(advice), `${backend}: "${entry.reason}" should end with "${advice}"`);
  }
}

before(() => {
  mkdirSync(tarballs);
  const filters = Object.values(PUBLISHED).flatMap((d) => ['--filter', `./${d}`]);
  run('pnpm', ['-r', ...filters, 'pack', '--pack-destination', tarballs], root);
  for (const name of Object.keys(PUBLISHED)) assert.ok(existsSync(tarballOf(name)), `packed ${name}`);
});

after(() => {
  if (process.env.KEEP_PACKED === '1') console.log(`projects kept in ${work}`);
  else rmSync(work, { recursive: true, force: true });
});

test('npm install gluon-loss: ts only, light, no install scripts, the others named with what to install', () => {
  const { dir, installMs } = project('ts-only', { gluon: DEFAULT_INSTALL });
  const bytes = directorySize(join(dir, 'node_modules'));
  console.log(`ts-only: node_modules ${(bytes / 1024 / 1024).toFixed(1)} MB, npm install ${installMs} ms`);
  assert.ok(bytes < MAX_DEFAULT_INSTALL_BYTES, `node_modules is ${bytes} bytes`);
  const manifests = installedManifests(dir);
  assert.deepEqual(manifests.map((m) => m.json.name).sort(), [...DEFAULT_INSTALL, 'zod'].sort());
  const withScripts = manifests.filter((m) =>
    ['preinstall', 'install', 'postinstall'].some((s) => m.json.scripts?.[s] !== undefined),
  );
  assert.deepEqual(
    withScripts.map((m) => m.json.name),
    [],
  );
  const { maps, missing } = unresolvedSourceMaps(dir);
  assert.ok(maps > 20, `found ${maps} source maps`);
  assert.deepEqual(missing, []);
  const { ran, availability } = typeCheckAndRun(dir, ['ts']);
  assert.deepEqual(ran, ['ts']);
  assertUnavailable(availability, {
    'tfjs-cpu': 'install @gluon-loss/backend-tfjs@0.1.0 and @tensorflow/tfjs@4.22.0',
    'tfjs-wasm':
      'install @gluon-loss/backend-tfjs@0.1.0, @tensorflow/tfjs@4.22.0 and @tensorflow/tfjs-backend-wasm@4.22.0',
    'onnx-wasm': 'install @gluon-loss/backend-onnx@0.1.0 and onnxruntime-web@1.30.0',
    'onnx-node': 'install @gluon-loss/backend-onnx@0.1.0 and onnxruntime-node@1.30.0',
  });
});

test("with tfjs: tfjs-cpu and tfjs-wasm found and giving MXNet results, @gluon-loss/tfjs trains on the app's tfjs", () => {
  const { dir, installMs } = project('with-tfjs', {
    gluon: [...DEFAULT_INSTALL, '@gluon-loss/backend-tfjs', '@gluon-loss/tfjs'],
    registry: { '@tensorflow/tfjs': '4.22.0', '@tensorflow/tfjs-backend-wasm': '4.22.0' },
  });
  console.log(`with-tfjs: npm install ${installMs} ms`);
  assert.deepEqual(unresolvedSourceMaps(dir).missing, []);
  const { ran, availability } = typeCheckAndRun(dir, ['tfjs-cpu', 'tfjs-wasm']);
  assert.deepEqual(ran, ['tfjs-cpu', 'tfjs-wasm']);
  assertUnavailable(availability, {
    'onnx-node': 'install @gluon-loss/backend-onnx@0.1.0 and onnxruntime-node@1.30.0',
  });
  // @gluon-loss/tfjs on the app's own tfjs: MXNet's numbers, trainable, nothing leaked.
  assert.deepEqual(typeCheckAndRunTfLoss(dir), { backend: 'cpu', steady: true, leaked: 0 });
});

test('with onnxruntime-node: its install script downloads nothing, onnx-node gives MXNet results', () => {
  const { dir, installMs } = project('with-onnxruntime-node', {
    gluon: [...DEFAULT_INSTALL, '@gluon-loss/backend-onnx'],
    registry: { 'onnxruntime-node': '1.30.0' },
    // What onnxruntime-node 1.30.0's script/install.js honours (also ONNXRUNTIME_NODE_INSTALL=skip).
    npmrc: 'onnxruntime-node-install=skip\n',
  });
  console.log(`with-onnxruntime-node: npm install ${installMs} ms`);
  const binaries = join(dir, 'node_modules/onnxruntime-node/bin/napi-v6/linux/x64');
  if (existsSync(binaries))
    assert.deepEqual(
      readdirSync(binaries).filter((f) => /cuda|tensorrt/i.test(f)),
      [],
    );
  assert.deepEqual(unresolvedSourceMaps(dir).missing, []);
  const { ran, availability } = typeCheckAndRun(dir, ['onnx-node']);
  assert.deepEqual(ran, ['onnx-node']);
  assertUnavailable(availability, {
    'onnx-wasm': ': install onnxruntime-web@1.30.0', // only what is missing
    'tfjs-wasm':
      'install @gluon-loss/backend-tfjs@0.1.0, @tensorflow/tfjs@4.22.0 and @tensorflow/tfjs-backend-wasm@4.22.0',
  });
});

/** What the Vite app's page is checked on: one golden case of MXNet 1.9.1 per loss, finite values only. */
const VITE_APP_LOSSES = [
  'L2Loss',
  'SoftmaxCrossEntropyLoss',
  'HuberLoss',
  'SigmoidBinaryCrossEntropyLoss',
  'KLDivLoss',
];
const MAX_SMALL_PAGE_BYTES = 1024 * 1024;

function viteAppCases() {
  const finite = (t) => t === undefined || typeof t === 'number' || t.data.every((v) => typeof v === 'number');
  return VITE_APP_LOSSES.map((loss) => {
    const { cases } = JSON.parse(readFileSync(join(root, 'conformance/golden', `${loss}.json`), 'utf8'));
    const c = cases.find(
      (c) =>
        c.expected?.loss !== undefined &&
        c.expected.grads !== undefined &&
        c.headGrad !== undefined &&
        [...Object.values(c.inputs), c.headGrad, c.expected.loss, ...Object.values(c.expected.grads)].every(finite),
    );
    assert.ok(c, `a finite golden case of ${loss}`);
    return {
      name: c.name,
      loss: c.loss,
      config: c.config,
      inputs: c.inputs,
      headGrad: c.headGrad,
      expected: c.expected,
    };
  });
}

const CONTENT_TYPES = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
};

/** A static server of `dir` on 127.0.0.1 (WebGPU and the like want a secure context). */
async function serve(dir) {
  const server = createServer((req, res) => {
    const path = join(dir, decodeURIComponent(new URL(req.url, 'http://x').pathname));
    const file = path.endsWith('/') ? join(path, 'index.html') : path;
    if (!file.startsWith(dir) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, {
      'content-type': CONTENT_TYPES[file.slice(file.lastIndexOf('.'))] ?? 'application/octet-stream',
    });
    res.end(readFileSync(file));
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return { server, url: `http://127.0.0.1:${server.address().port}/` };
}

test('a Vite app: wasm files found with no configuration, MXNet results in the page, small calls under 1 MB', async () => {
  const { dir, installMs } = project('vite-app', {
    gluon: [...DEFAULT_INSTALL, '@gluon-loss/backend-tfjs', '@gluon-loss/backend-onnx'],
    registry: {
      '@tensorflow/tfjs': '4.22.0',
      '@tensorflow/tfjs-backend-wasm': '4.22.0',
      'onnxruntime-web': '1.30.0',
      vite: '8.3.8',
    },
  });
  cpSync(join(root, 'scripts/packed-vite-app'), dir, { recursive: true });
  writeFileSync(join(dir, 'cases.json'), JSON.stringify(viteAppCases()));
  run(process.execPath, [tsc, '-p', 'tsconfig.json'], dir);
  const t0 = Date.now();
  run(process.execPath, [join(dir, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], dir);
  const buildMs = Date.now() - t0;
  const assets = readdirSync(join(dir, 'dist/assets'));
  const distBytes = directorySize(join(dir, 'dist'));
  console.log(
    `vite-app: npm install ${installMs} ms, vite build ${buildMs} ms, dist ${(distBytes / 1024 / 1024).toFixed(1)} MB`,
  );
  // The wasm binaries of what the app imports, and no others (no threaded tfjs, no jsep or asyncify ORT build).
  assert.deepEqual(
    assets
      .filter((a) => a.endsWith('.wasm'))
      .map((a) => a.replace(/-[\w-]{8}\.wasm$/, '.wasm'))
      .sort(),
    ['ort-wasm-simd-threaded.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm.wasm'],
  );

  const { server, url } = await serve(join(dir, 'dist'));
  // The project's one Chromium set-up (Debian's binary, its flags): built by `pnpm build`.
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    const responses = new Map(); // requestId -> { url, status, bytes }
    cdp.on('Network.responseReceived', (e) =>
      responses.set(e.requestId, { url: e.response.url, status: e.response.status, bytes: 0 }),
    );
    cdp.on('Network.loadingFinished', (e) => {
      const r = responses.get(e.requestId);
      if (r !== undefined) r.bytes = e.encodedDataLength;
    });
    const transferred = () => [...responses.values()].reduce((sum, r) => sum + r.bytes, 0);
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));

    const t1 = Date.now();
    await page.goto(url);
    await page.waitForFunction(() => document.getElementById('out')?.textContent === 'ready', null, {
      polling: 100,
      timeout: 60_000,
    });
    const small = await page.evaluate(() => window.gluonTest.small());
    const smallMs = Date.now() - t1;
    const smallBytes = transferred();
    const smallUrls = [...responses.values()].map((r) => `${r.status} ${r.url.slice(url.length)} ${r.bytes}`);
    console.log(
      `vite-app: the small page transferred ${smallBytes} bytes in ${smallUrls.length} responses, results after ${smallMs} ms, on ${small.results.map((r) => r.backend).join(', ')}; 512 x 1000 SoftmaxCE on ${small.medium.backend}:\n  ${smallUrls.join('\n  ')}`,
    );
    assert.deepEqual(pageErrors, []);
    for (const r of small.results) assert.deepEqual(r.failures, [], `${r.case} on ${r.backend}`);
    assert.equal(small.results.length, VITE_APP_LOSSES.length);
    assert.ok(
      small.results.every((r) => r.backend === 'ts' || r.backend === 'wasm-simd'),
      JSON.stringify(small.results),
    );
    assert.ok(['ts', 'wasm-simd'].includes(small.medium.backend), JSON.stringify(small.medium));
    for (const b of ['tfjs-wasm', 'tfjs-cpu', 'onnx-wasm'])
      assert.equal(small.availability.find((a) => a.backend === b)?.state, 'not loaded', `${b} stays unloaded`);
    assert.ok(
      smallBytes < MAX_SMALL_PAGE_BYTES,
      `the small page transferred ${smallBytes} bytes:\n${smallUrls.join('\n')}`,
    );

    const t2 = Date.now();
    const heavy = await page.evaluate(() => window.gluonTest.heavy());
    const heavyBytes = transferred() - smallBytes;
    console.log(
      `vite-app: the big call and the heavy backends' cases transferred ${heavyBytes} more bytes in ${Date.now() - t2} ms; timed ${heavy.big.timed.join(', ')}; ran on ${heavy.big.backend}`,
    );
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(
      [...responses.values()].filter((r) => r.status >= 400).map((r) => `${r.status} ${r.url}`),
      [],
    );
    for (const b of ['tfjs-wasm', 'onnx-wasm']) {
      assert.equal(
        heavy.availability.find((a) => a.backend === b)?.state,
        'available',
        JSON.stringify(heavy.availability),
      );
      assert.ok(
        heavy.big.timed.some((t) => t.startsWith(`${b}:`)),
        `${b} timed on the big call`,
      );
      for (const r of heavy.byBackend[b]) {
        assert.equal(r.backend, b);
        assert.deepEqual(r.failures, [], `${r.case} on ${b}`);
      }
    }
  } finally {
    await browser.close();
    server.close();
  }
});

testOutsideBackend({ root, work, tarballOf });
