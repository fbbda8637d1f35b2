/**
 * A page that bundles this package must not pull in Node-only modules: they are reached
 * only through runtime.ts's non-literal dynamic import, after the environment is checked.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const srcDir = join(import.meta.dirname, '..', 'src');
const sources = readdirSync(srcDir, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.ts'))
  .map((f) => ({ file: f, text: readFileSync(join(srcDir, f), 'utf8') }));

describe('source imports', () => {
  it('name no Node-only module in a static or literal dynamic import', () => {
    const nodeOnly = /(?:from\s+|import\s*\(\s*)['"](?:node:[^'"]+|onnxruntime-node|fs|path|os)['"]/;
    const offenders = sources.filter((s) => nodeOnly.test(s.text)).map((s) => s.file);
    expect(offenders).toEqual([]);
    expect(sources.length).toBeGreaterThan(20);
  });
});
