#!/usr/bin/env node
import { errorMessage } from '@semtel/component';
import { runCli } from './run-cli.js';

// A bad request or a bug in one component must not take the whole service down: log and go on.
process.on('uncaughtException', (error) => {
  console.error(
    JSON.stringify({
      level: 50,
      time: Date.now(),
      msg: 'uncaught exception',
      error: errorMessage(error),
      stack: error.stack,
    }),
  );
});
process.on('unhandledRejection', (reason) => {
  console.error(
    JSON.stringify({ level: 50, time: Date.now(), msg: 'unhandled promise rejection', error: errorMessage(reason) }),
  );
});

const code = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
});
// Exit explicitly: a stuck socket or timer left by a component must not keep a stopped service alive.
process.exit(code);
