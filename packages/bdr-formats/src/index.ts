// @tessera/bdr-formats exports nothing yet: its API lands with a later issue (not yet filed).
export {};
