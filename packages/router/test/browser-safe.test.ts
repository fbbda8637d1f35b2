/**
 * Nothing on the browser path imports Node: the static import graph of `gluon-loss`
 * (dist/index.js), through our own packages, reaches no `node:` module or Node built-in,
 * and not `gluon-loss/node`. (Backends are imported dynamically, when first used; the
 * Chromium test bundles the real thing with Vite.)
 */
import { readFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const entry = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const NODE_BUILTINS = new Set(builtinModules);

/** Static `import ... from '...'` and `export ... from '...'` specifiers (not dynamic `import()`). */
function staticImports(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]/gm)) out.push(m[1]!);
  for (const m of source.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)) out.push(m[1]!);
  return out;
}

function walk(): { files: string[]; nodeImports: string[]; external: Set<string> } {
  const seen = new Set<string>();
  const nodeImports: string[] = [];
  const external = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const spec of staticImports(readFileSync(file, 'utf8'))) {
      if (spec.startsWith('node:') || NODE_BUILTINS.has(spec.split('/')[0]!)) nodeImports.push(`${file}: ${spec}`);
      else if (spec.startsWith('.')) queue.push(resolve(dirname(file), spec));
      else if (spec.startsWith('@gluon-loss/') || spec.startsWith('gluon-loss'))
        queue.push(createRequire(file).resolve(spec));
      else external.add(spec);
    }
  }
  return { files: [...seen], nodeImports, external };
}

describe('the browser path', () => {
  it('imports no Node module, statically, from gluon-loss down through our packages', () => {
    const { files, nodeImports } = walk();
    expect(files.length).toBeGreaterThan(10); // the walk did reach the spec and backends packages
    expect(files.some((f) => f.includes('spec'))).toBe(true);
    expect(nodeImports).toEqual([]);
  });

  it('does not reach the Node-only helpers', () => {
    const { files } = walk();
    expect(files.filter((f) => f.endsWith('/router/dist/node.js') || f.endsWith('/router/dist/choices.js'))).toEqual(
      [],
    );
  });

  it('loads no backend package statically (they load on first use)', () => {
    const { external } = walk();
    expect([...external].filter((s) => /tensorflow|onnxruntime|backend-/.test(s))).toEqual([]);
  });
});
