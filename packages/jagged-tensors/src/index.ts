// @tessera/jagged-tensors — public API (spec jagged-sharding.md §2–§4).
export type { DedupOptions } from './dedup.js';
export { dedup, expand, isIkjt } from './dedup.js';
export type { EmbeddingBagConfig, EmbeddingBagTable } from './embedding-bag-collection.js';
export { EmbeddingBagCollection } from './embedding-bag-collection.js';
export type { IntArrayLike } from './int-array.js';
export { completeCumsum } from './int-array.js';
export type { TorchrecKjt } from './interchange.js';
export { fromTorchrec, loadKjt, saveKjt, toTorchrec } from './interchange.js';
export type { JtInit, PadOptions, Tolerance } from './jagged-tensor.js';
export { JaggedTensor } from './jagged-tensor.js';
export type { GroupStats, Groups, InverseIndices, KjtInit, KjtParts } from './keyed-jagged-tensor.js';
export { InverseKeyedJaggedTensor, KeyedJaggedTensor } from './keyed-jagged-tensor.js';
export type { KtInit } from './keyed-tensor.js';
export { KeyedTensor } from './keyed-tensor.js';
export type { EmbeddingBagOptions, PoolingMode } from './pooling.js';
export { embeddingBag } from './pooling.js';
export type { SessionBatch, SessionBatchOptions, SessionFeatureSpec } from './synthetic.js';
export { defaultSessionFeatures, generateSessionBatch } from './synthetic.js';
