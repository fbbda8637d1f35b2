/**
 * Reads onnxruntime's verbose session log ("Node placements") to tell which execution
 * provider each graph node landed on. With severity 0 ORT prints, per session, either
 * "All nodes placed on [WebGpuExecutionProvider]. Number of nodes: N" or, per provider,
 * " Node(s) placed on [CPUExecutionProvider]. Number of nodes: N" followed by one
 * " Node name: ..., Op type: T" line per node.
 */
import { LOSS_NAMES, type CanonicalLossName } from '@gluon-loss/spec';

export interface PlacementSummary {
  /** Sessions whose placement was logged. */
  readonly sessions: number;
  /** Sessions with every node on the WebGPU EP. */
  readonly allOnWebGpu: number;
  /** Op types placed on another EP, with how many nodes of each. */
  readonly fallbacks: Readonly<Record<string, number>>;
}

const ALL_PLACED = /All nodes placed on \[(\w+)\]/;
const SOME_PLACED = /Node\(s\) placed on \[(\w+)\]/;
const OP_TYPE = /Op type: (\w+)/;

export function parsePlacementLog(lines: readonly string[]): PlacementSummary {
  let sessions = 0;
  let allOnWebGpu = 0;
  const fallbacks: Record<string, number> = {};
  let provider: string | undefined;
  for (const line of lines) {
    if (line.includes('Node placements')) {
      sessions++;
      provider = undefined;
      continue;
    }
    const all = ALL_PLACED.exec(line);
    if (all) {
      if (all[1] === 'WebGpuExecutionProvider') allOnWebGpu++;
      else fallbacks[`(every node on ${all[1]})`] = (fallbacks[`(every node on ${all[1]})`] ?? 0) + 1;
      provider = undefined;
      continue;
    }
    const some = SOME_PLACED.exec(line);
    if (some) {
      provider = some[1];
      continue;
    }
    const op = OP_TYPE.exec(line);
    if (op && provider !== undefined && provider !== 'WebGpuExecutionProvider') {
      fallbacks[op[1]!] = (fallbacks[op[1]!] ?? 0) + 1;
    }
  }
  return { sessions, allOnWebGpu, fallbacks };
}

/**
 * The cases each loss is placed with: enough to build every kind of graph the backend
 * emits. Keyed by the spec's registry, so a loss added there fails the type check here.
 */
const PLACEMENT_CASES_BY_LOSS: { readonly [L in CanonicalLossName]: readonly string[] } = {
  L2Loss: ['sample-weight-per-sample'],
  L1Loss: ['2d'],
  SigmoidBinaryCrossEntropyLoss: ['pos-weight-per-class', 'from-sigmoid'],
  SoftmaxCrossEntropyLoss: ['2d', 'dense'],
  KLDivLoss: ['from-logits-false'],
  CTCLoss: ['both-lengths'],
  HuberLoss: ['2d'],
  HingeLoss: ['2d'],
  SquaredHingeLoss: ['2d'],
  LogisticLoss: ['binary'],
  TripletLoss: ['2d'],
  PoissonNLLLoss: ['compute-full'],
  CosineEmbeddingLoss: ['2d'],
  SDMLLoss: ['default'],
};

/** One or two small cases per loss of the registry, in its order. */
export const PLACEMENT_CASES: readonly string[] = LOSS_NAMES.flatMap((loss) =>
  PLACEMENT_CASES_BY_LOSS[loss].map((name) => `${loss}/${name}`),
);

export function formatPlacement(p: PlacementSummary): string {
  const fallbacks = Object.entries(p.fallbacks);
  const head = `onnx-webgpu placement: ${p.allOnWebGpu} of ${p.sessions} sessions with every node on WebGpuExecutionProvider`;
  return fallbacks.length === 0 ? head : `${head}; fell back: ${fallbacks.map(([op, n]) => `${op} x${n}`).join(', ')}`;
}
