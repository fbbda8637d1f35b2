/**
 * The router's cells: each bench case through `createLoss` of gluon-loss, timed like a
 * backend, with the backend the router chose (`explain().backend`) and its reason.
 */
import type { Explanation } from 'gluon-loss';

/** The backend that computed the router's last call. */
export function choiceOf(explanation: Explanation): string | undefined {
  return explanation.backend ?? undefined;
}

/** The router's words for its decision in this mode (the route's `reason`). */
export function routeReasonOf(explanation: Explanation, mode: string): string | undefined {
  return explanation.routes.find((r) => r.mode === mode)?.reason;
}
