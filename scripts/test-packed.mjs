#!/usr/bin/env node
/**
 * gluon-loss as users install it: packs the published packages (`pnpm pack`), installs the
 * tarballs with npm into fresh projects outside the workspace, and in each project
 * type-checks a TypeScript program in strict mode (loss names, config keys and input names
 * checked at compile time) and runs it. Projects: ts only (the default install: its size, no install
 * scripts, the other backends listed with what to install), with tfjs (cpu, wasm), and with
 * onnxruntime-node (its install script kept from downloading GPU libraries).
 *
 * Run after `pnpm build`: `node scripts/test-packed.mjs` (node:test; KEEP_PACKED=1 keeps
 * the projects). Registry packages come from npm's registry (and its cache); nothing else
 * is downloaded.
 */
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { testOutsideBackend } from './test-packed-outside-backend.mjs';

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

test('with tfjs: tfjs-cpu and tfjs-wasm found and giving MXNet results', () => {
  const { dir, installMs } = project('with-tfjs', {
    gluon: [...DEFAULT_INSTALL, '@gluon-loss/backend-tfjs'],
    registry: { '@tensorflow/tfjs': '4.22.0', '@tensorflow/tfjs-backend-wasm': '4.22.0' },
  });
  console.log(`with-tfjs: npm install ${installMs} ms`);
  assert.deepEqual(unresolvedSourceMaps(dir).missing, []);
  const { ran, availability } = typeCheckAndRun(dir, ['tfjs-cpu', 'tfjs-wasm']);
  assert.deepEqual(ran, ['tfjs-cpu', 'tfjs-wasm']);
  assertUnavailable(availability, {
    'onnx-node': 'install @gluon-loss/backend-onnx@0.1.0 and onnxruntime-node@1.30.0',
  });
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

testOutsideBackend({ root, work, tarballOf });
