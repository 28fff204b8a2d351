#!/usr/bin/env node
// The `tessera-dlrm` executable (package bin).
import { CommanderError } from 'commander';
import { runCli } from './cli.js';

runCli(process.argv.slice(2)).catch((e: unknown) => {
  if (e instanceof CommanderError) process.exit(e.exitCode);
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
