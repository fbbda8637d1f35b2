// One training step with the router (`gluon-loss`): the loss and its gradient from
// forwardBackward, without a head gradient (ones, as MXNet's `loss.backward()`), then a
// plain SGD update of the logits. `node examples/router-training-step.mjs`.
import { createLoss } from 'gluon-loss';

const ce = await createLoss('SoftmaxCELoss', { sparse_label: true });
const logits = { data: Float32Array.from([0, 2, 1, 4]), shape: [2, 2] };
const label = { data: Float32Array.from([0, 1]), shape: [2] };
for (let step = 0; step < 3; step++) {
  const { loss, grads } = await ce.forwardBackward({ pred: logits, label });
  console.log(`step ${step}: loss [${[...loss.data].map((v) => v.toFixed(4)).join(', ')}] on ${ce.explain().backend}`);
  grads.pred.data.forEach((g, i) => (logits.data[i] -= 0.5 * g));
}
ce.dispose();
