/**
 * `--filter` patterns: `loss/size/backend/mode`, each part a glob (`*` matches anything,
 * `?` one character); missing trailing parts match everything, so `L2Loss` alone selects
 * every cell of L2Loss, and a pattern whose third part is `ts` keeps the ts backend
 * (e.g. `L2Loss/1024x1024/ts/forward`). The loss part matches the canonical
 * name or an alias (`SoftmaxCELoss`). Several patterns: a cell runs if any matches.
 */
import { LOSS_ALIASES } from '@gluon-loss/spec';

export interface CellAddress {
  readonly loss: string;
  readonly size: string;
  readonly backend: string;
  readonly mode: string;
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

const aliasesOf = (loss: string): string[] => [
  loss,
  ...Object.entries(LOSS_ALIASES)
    .filter(([, canonical]) => canonical === loss)
    .map(([alias]) => alias),
];

export class CellFilter {
  readonly #patterns: RegExp[][];

  constructor(readonly patterns: readonly string[]) {
    this.#patterns = patterns.map((p) => p.split('/').map(globToRegExp));
  }

  /**
   * Whether a cell is selected. Parts left undefined are not checked: the anchors ask with
   * no backend, since they run for every selected loss, size and mode.
   */
  matches(address: Partial<CellAddress>): boolean {
    if (this.#patterns.length === 0) return true;
    return this.#patterns.some(([loss, size, backend, mode]) => {
      if (loss && address.loss !== undefined && !aliasesOf(address.loss).some((n) => loss.test(n))) return false;
      if (size && address.size !== undefined && !size.test(address.size)) return false;
      if (backend && address.backend !== undefined && !backend.test(address.backend)) return false;
      if (mode && address.mode !== undefined && !mode.test(address.mode)) return false;
      return true;
    });
  }
}
