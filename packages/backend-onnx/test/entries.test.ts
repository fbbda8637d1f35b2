/**
 * Each variant entry (`/wasm`, `/webgpu`, `/node`) imports its own onnxruntime build and no
 * other, so a bundle of it emits that build's wasm alone (scripts/test-packed.mjs checks the
 * emitted assets of a Vite app): another variant asked of it is unavailable, naming the
 * entry that brings it, and its import graph names no other build.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createOnnxBackend as wasmOnly } from '../src/wasm.js';

const srcDir = join(import.meta.dirname, '..', 'src');

/** The source files a module reaches through static imports of this package's own files. */
function staticGraph(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  const text = readFileSync(join(srcDir, file), 'utf8');
  for (const [, spec] of text.matchAll(/^import\s(?!type\b)[^'"]*['"](\.[^'"]+)['"]/gm)) {
    const next = join(file, '..', spec!.replace(/\.js$/, '.ts'));
    staticGraph(next, seen);
  }
  return seen;
}

describe('variant entries', () => {
  it('a variant the entry does not bring is unavailable, with the entry to import instead', async () => {
    const node = wasmOnly('node');
    expect(await node.probe()).toEqual({
      available: false,
      reason: expect.stringContaining(
        '@gluon-loss/backend-onnx/wasm brings onnxruntime for onnx-wasm only; an app that wants onnx-node imports @gluon-loss/backend-onnx',
      ),
    });
  });

  it.each([
    ['wasm.ts', 'onnxruntime-web/wasm', 'onnxruntime-web/webgpu'],
    ['webgpu.ts', 'onnxruntime-web/webgpu', 'onnxruntime-web/wasm'],
  ])('%s imports %s and never %s', (entry, own, other) => {
    const texts = [...staticGraph(entry)].map((f) => readFileSync(join(srcDir, f), 'utf8'));
    const literal = (spec: string) => texts.some((t) => t.includes(`import('${spec}')`));
    expect(literal(own)).toBe(true);
    expect(literal(other)).toBe(false);
    expect(texts.some((t) => t.includes("import('onnxruntime-web')"))).toBe(false);
  });
});
