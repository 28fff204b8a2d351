// @tessera/sparse-24 exports nothing yet: its API lands with issue #5.
export {};
