/**
 * `node --input-type=module -e "<a createLoss script>"` must run to its end. The Workers
 * onnxruntime-web starts for onnx-wasm's threads inherit the process's `--input-type`
 * and fail to start (ERR_INPUT_TYPE_NOT_ALLOWED), which took the whole process down;
 * there onnx-wasm now runs single-threaded. The script imports the built package
 * (`pnpm build` first), as an application would.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));

const SCRIPT = `
import { createRouter } from ${JSON.stringify(dist)};
// Every candidate loaded and timed, onnx-wasm too, though the call is small.
const loss = await createRouter({ cost: { loadHeavyAboveElements: 0 } }).createLoss('L2Loss');
const x = { data: new Float32Array(4096).fill(1), shape: [64, 64] };
const { loss: out } = await loss.forward({ pred: x, label: x });
const timed = loss.explain().routes[0].timings.map((t) => t.backend + ':' + t.status);
console.log(JSON.stringify({ length: out.data.length, timed }));
loss.dispose();
`;

describe('node --input-type=module -e', () => {
  it('runs a createLoss script that times onnx-wasm to its end', () => {
    expect(existsSync(dist), 'run pnpm build first').toBe(true);
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', SCRIPT], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(run.stderr).not.toContain('ERR_INPUT_TYPE_NOT_ALLOWED');
    expect(run.status).toBe(0);
    const printed = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { length: number; timed: string[] };
    expect(printed.length).toBe(64);
    // onnx-wasm ran (timed, or pruned after one run as clearly slower): its Workers did not kill the process.
    expect(printed.timed.filter((t) => /^onnx-wasm:(timed|pruned)$/.test(t))).toHaveLength(1);
  });
});
