import { runCli } from './cli.js';

// The only module that touches process.env, argv and exit codes.
const code = await runCli(process.argv.slice(2), {
  env: process.env,
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
});
if (code !== 'serving') process.exitCode = code;
