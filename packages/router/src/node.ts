/**
 * `gluon-loss/node`: the helpers that need Node's file system, kept off the browser path.
 * Decisions saved by one process are loaded by the next, so timing happens once.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { getDefaultRouter, type Router } from './router.js';

/** Writes the router's decisions (default: the default router's) to a JSON file. */
export function saveDecisions(path: string, router: Router = getDefaultRouter()): void {
  writeFileSync(path, router.exportDecisions() + '\n');
}

/**
 * Imports decisions from a JSON file written by `saveDecisions`. A missing file imports
 * nothing (the first run of an application); a malformed one throws DecisionsFormatError.
 */
export function loadDecisions(
  path: string,
  router: Router = getDefaultRouter(),
): { imported: number; skipped: number } {
  if (!existsSync(path)) return { imported: 0, skipped: 0 };
  return router.importDecisions(readFileSync(path, 'utf8'));
}
