// @tessera/dlrm-model — DLRM with parity to facebookresearch/dlrm, training on KJT and IKJT, metrics and Criteo
// data (browser-safe; the DuckDB pipeline and file readers live at `@tessera/dlrm-model/data`).
export type { DlrmSidecar } from './checkpoint.js';
export { exportSafetensors, importSafetensors } from './checkpoint.js';
export type { DlrmConfig, ResolvedConfig } from './config.js';
export { archStrings, interactionPairs, MAX_TABLE_ELEMENTS, topMlpInputSize } from './config.js';
export type { CriteoParseOptions, CriteoReadOptions, CriteoReadStats, CriteoRow } from './criteo.js';
export {
  CRITEO_CAT_COLUMNS,
  CRITEO_FEATURE_NAMES,
  CRITEO_INT_COLUMNS,
  criteoBatch,
  FirstAppearanceIndexer,
  kaggleDaySplit,
  moduloIds,
  parseCriteoTsvLine,
  parseDeepCtrCsv,
  readCriteoRows,
} from './criteo.js';
export type { DeviceRowGrad } from './device.js';
export type { DeviceGrads, DlrmGrads, DlrmGradsOptions } from './grads.js';
export { disposeGrads, dlrmGrads } from './grads.js';
export type { DlrmKernel } from './kernel.js';
export type { LossKind } from './loss.js';
export { dlrmLoss } from './loss.js';
export { LrPolicyScheduler } from './lr-policy.js';
export { accuracy, logLoss, normalizedEntropy, rocAuc } from './metrics.js';
export type { DlrmBatch, DlrmFakeQuantization, DlrmForwardOptions, DlrmInit, StateDict, StateTensor } from './model.js';
export { DlrmModel } from './model.js';
export type { NumpyLegacyRng } from './numpy-rng.js';
export { numpyLegacyRng } from './numpy-rng.js';
export type { AdagradOptions, SparseAwareOptimizer } from './optimizers.js';
export { adagrad, rowWiseSparseAdagrad, sgd } from './optimizers.js';
export type { SyntheticCriteo, SyntheticCriteoOptions } from './synthetic.js';
export { MAX_SYNTHETIC_ROWS, syntheticCriteo } from './synthetic.js';
export type { BatchSource, TrainOptions, TrainStepInfo, TrainStepOptions } from './train.js';
export { disposeBatch, MAX_EPOCHS, train, trainStep, trainStepAsync } from './train.js';
