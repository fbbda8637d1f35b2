import type { GoldenCall } from '@gluon-loss/golden';

/** Whether an exported model is held to this golden call case (see export-parity.mjs). */
export function heldAgainstExport(c: GoldenCall): boolean;
