export { tfLoss, REDUCTIONS, type Reduction, type TfLossFunction, type TfLossOptions } from './tf-loss.js';
export { asLayersLoss, type LayersLoss } from './layers-loss.js';
