export type { DotProductOptions, SimplicialOptions, SimplicialVariant } from './options.js';
export { SIMPLICIAL_VARIANTS } from './options.js';
export { REFERENCE_MAX_CELLS, simplicialAttentionReference } from './reference.js';
export type { SimplicialGrads, SimplicialResult } from './simplicial-attention.js';
export { simplicialAttention, simplicialBackward } from './simplicial-attention.js';
