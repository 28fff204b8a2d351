// @tessera/mx-formats exports nothing yet: its API lands with issue #4.
export {};
