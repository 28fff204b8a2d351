// Optional native backends that are not installed in this repository (their install downloads libtensorflow).
// initBackend imports them by literal specifier so that bundlers see them; these declarations let that compile.
declare module '@tensorflow/tfjs-node-gpu';
declare module '@tensorflow/tfjs-node';
