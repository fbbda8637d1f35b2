/** What a results file says about where it ran: the machine, and every package's version. */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, cpus, release, totalmem, type } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResults } from './format.js';

const here = dirname(fileURLToPath(import.meta.url));

/** The monorepo root (the folder with pnpm-workspace.yaml above this package), or undefined. */
export function findRepoRoot(from = here): string | undefined {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

function chromiumVersion(): string | null {
  if (!existsSync(CHROMIUM_PATH)) return null;
  try {
    // Debian's wrapper script prints a harmless shell warning on stderr; the version is on stdout
    const out = execFileSync(CHROMIUM_PATH, ['--version'], {
      encoding: 'utf8',
      timeout: 15_000,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return out.trim().split('\n').pop() ?? null;
  } catch {
    return null;
  }
}

export function describeMachine(): BenchResults['machine'] {
  const list = cpus();
  return {
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism?.() ?? list.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${type()} ${release()}`,
    node: process.versions.node,
    v8: process.versions.v8,
    browser: chromiumVersion(),
  };
}

interface PackageJson {
  name?: string;
  version?: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

const readJson = (file: string): PackageJson => JSON.parse(readFileSync(file, 'utf8')) as PackageJson;

/**
 * Every workspace package's version, and the installed version of each of their
 * dependencies (resolved from the package that depends on it, as pnpm lays them out).
 */
export function packageVersions(root = findRepoRoot()): Record<string, string> {
  const versions: Record<string, string> = {};
  if (root === undefined) return versions;
  const dirs = [root, join(root, 'conformance')];
  const packages = join(root, 'packages');
  if (existsSync(packages)) for (const d of readdirSync(packages)) dirs.push(join(packages, d));
  for (const dir of dirs) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = readJson(file);
    if (pkg.name && pkg.version) versions[pkg.name] = pkg.version;
    const require = createRequire(file);
    for (const [dep, range] of Object.entries({ ...pkg.dependencies, ...pkg.devDependencies })) {
      if (range.startsWith('workspace:') || versions[dep] !== undefined) continue;
      try {
        versions[dep] = readJson(require.resolve(`${dep}/package.json`)).version ?? range;
      } catch {
        // packages without an exported package.json: the range the workspace pins
        versions[dep] = range;
      }
    }
  }
  return Object.fromEntries(Object.entries(versions).sort(([a], [b]) => a.localeCompare(b)));
}
