// Entry point of the `flamelens` bin: the language server with --stdio / --node-ipc, else the CLI.
import { runCli } from './cli/cli';

const args = process.argv.slice(2);
if (args.some((a) => a === '--stdio' || a === '--node-ipc' || a.startsWith('--socket') || a.startsWith('--pipe'))) {
  // Loaded lazily so that the CLI never pays for the LSP transport.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('./server-main').start();
} else {
  // exitCode, never process.exit(): exiting cuts what is still queued for a pipe (output stopped at 64 KiB)
  runCli(args).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`flamelens: internal error: ${(e as Error).stack ?? e}\n`);
      process.exitCode = 70;
    },
  );
}
