export { cliftTripleProduct } from './clift.js';
export { dotProductAttention } from './dot-product.js';
export type { AttentionFlops, AttentionFlopsShape } from './flops.js';
export { attentionFlops, fbgemmSimplicialFlops, validPairs, validTriples } from './flops.js';
export type { DotProductOptions, SimplicialOptions, SimplicialVariant } from './options.js';
export { SIMPLICIAL_VARIANTS } from './options.js';
export { REFERENCE_MAX_CELLS, simplicialAttentionReference } from './reference.js';
export type { SimplicialGrads, SimplicialResult } from './simplicial-attention.js';
export { simplicialAttention, simplicialBackward } from './simplicial-attention.js';
