// The naive float64 oracle of 2-simplicial attention (Roy et al. arXiv 2507.02754 Eqs. 5–7, the backward of
// pytorch/FBGEMM torch_simplicial_bwd) lives in @tessera/testing, shared with @tessera/kernels' tests; this file keeps
// the names this suite imports.
export {
  naiveSimplicialBackward as naiveBackward,
  naiveSimplicialForward as naiveForward,
} from '@tessera/testing';
