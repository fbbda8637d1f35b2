#!/usr/bin/env node
/**
 * How far each Node backend is from MXNet's float32 values and from the float64
 * reference, over every version-2 golden tensor: the measurement behind FLOAT64_RULE's K
 * (src/tolerances.ts). Per backend and loss it prints the worst |got - ref64| / max(e, 1 ulp)
 * (e: MXNet's own largest |mx32 - ref64| on that tensor) and the worst |got - mx32| as a
 * fraction of the fixed tolerance.
 *
 *   pnpm build && node packages/conformance/scripts/float64-margins.mjs
 */
import { readGoldenDir } from '@gluon-loss/golden/node';
import { canonicalLossName, parseConfig } from '@gluon-loss/spec';
import { DEFAULT_TOLERANCE, float32Ulp } from '../dist/index.js';
import { loadBuiltinNodeBackends } from '../dist/node.js';

const suite = readGoldenDir();
const calls = suite.cases.filter((c) => c.kind === 'call' && c.ref64 !== undefined);

/** Worst ratios of one tensor: [|got - ref64| / max(e, ulp), |got - mx32| / (atol + rtol |mx32|)]. */
function ratios(got, want, ref) {
  let e = 0;
  let largest = 0;
  for (let i = 0; i < want.data.length; i++) {
    const w = want.data[i];
    const r = ref.data[i];
    if (want.undefinedMask?.[i] || !Number.isFinite(w) || !Number.isFinite(r)) continue;
    e = Math.max(e, Math.abs(w - r));
    largest = Math.max(largest, Math.abs(w));
  }
  const floor = Math.max(e, float32Ulp(largest));
  let toRef = 0;
  let toFixed = 0;
  for (let i = 0; i < want.data.length; i++) {
    const w = want.data[i];
    const r = ref.data[i];
    if (want.undefinedMask?.[i] || !Number.isFinite(w) || !Number.isFinite(r)) continue;
    toRef = Math.max(toRef, Math.abs(got.data[i] - r) / floor);
    toFixed = Math.max(
      toFixed,
      Math.abs(got.data[i] - w) / (DEFAULT_TOLERANCE.atol + DEFAULT_TOLERANCE.rtol * Math.abs(w)),
    );
  }
  return [toRef, toFixed];
}

const rows = [];
for (const backend of await loadBuiltinNodeBackends()) {
  if (!(await backend.probe()).available) continue;
  const worst = new Map();
  for (const c of calls) {
    const loss = canonicalLossName(c.loss);
    if (!backend.supports(loss, parseConfig(loss, c.config)).supported) continue;
    const compiled = await backend.compile(c.loss, c.config);
    const fb = await compiled.forwardBackward(c.inputs, c.headGrad);
    compiled.dispose();
    const tensors = [[fb.loss, c.expectedLoss, c.ref64.loss, 'loss']];
    for (const [k, want] of Object.entries(c.expectedGrads))
      tensors.push([fb.grads[k], want, c.ref64.grads[k], `grad ${k}`]);
    for (const [got, want, ref, label] of tensors) {
      const [toRef, toFixed] = ratios(got, want, ref);
      const w = worst.get(loss) ?? { toRef: 0, toFixed: 0, where: '' };
      if (toRef > w.toRef) Object.assign(w, { toRef, where: `${c.name.split('/')[1]} ${label}` });
      w.toFixed = Math.max(w.toFixed, toFixed);
      worst.set(loss, w);
    }
  }
  for (const [loss, w] of worst) rows.push([backend.name, loss, w.toRef, w.toFixed, w.where]);
}
console.log(
  `${'backend'.padEnd(10)} ${'loss'.padEnd(30)} ${'|got-ref64|/max(e,ulp)'.padStart(22)} ${'|got-mx32|/fixed'.padStart(16)}  worst tensor`,
);
for (const [b, l, r, f, where] of rows)
  console.log(`${b.padEnd(10)} ${l.padEnd(30)} ${r.toFixed(2).padStart(22)} ${f.toFixed(3).padStart(16)}  ${where}`);
