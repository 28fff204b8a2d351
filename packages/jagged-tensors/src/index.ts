// @tessera/jagged-tensors exports nothing yet: its API lands with issue #3.
export {};
