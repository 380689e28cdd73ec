// The `flamelens` command line: argument parsing and dispatch. Each command lives in its own file;
// all of them print to stdout and report failures as one `flamelens: ...` line on stderr.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { version } from '../../../package.json';
import { FORMATS } from '../core/readers/index';
import { runAnnotate } from './annotate';
import { CliError, EXIT_OK, EXIT_USAGE, type Io } from './common';
import { DIFF_DEFAULT_LIMIT, runDiff } from './diff';
import { runFlameGraph } from './flamegraph';
import { runInfo } from './info';
import { DEFAULT_LIMIT, runTop } from './top';

type Options = NonNullable<ParseArgsConfig['options']>;

const SCOPE: Options = {
  metric: { type: 'string', short: 'm' },
  pid: { type: 'string' },
  tid: { type: 'string' },
};
const COMMON: Options = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

interface Command {
  readonly usage: string;
  readonly positionals: readonly string[];
  readonly options: Options;
  run(io: Io, args: string[], values: Record<string, unknown>): Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  top: {
    usage: `flamelens top PROFILE [options]

Hottest lines (or functions) of a profile: own and total, as a percent of the scope's total and
in the metric's unit.

  -m, --metric M      metric to rank by (default: the profile's own: cpu, else wall, ...)
      --pid P         only samples of process P
      --tid T         only samples of thread T (its tid, or iid:tid)
      --by line|function   rank source lines (default) or functions
      --sort own|total     rank by own (default) or total
  -n, --limit N       show the N hottest (default ${DEFAULT_LIMIT}; 0 for all)
      --json          machine-readable output (docs/cli.md)`,
    positionals: ['PROFILE'],
    options: { ...SCOPE, ...COMMON, by: { type: 'string' }, sort: { type: 'string' }, limit: { type: 'string', short: 'n' } },
    run: (io, [file], v) => runTop(io, file, v),
  },
  annotate: {
    usage: `flamelens annotate PROFILE SOURCE [options]

SOURCE with each line's own and total share in a left gutter and a heat colour, like pprof -list.
The profile may have been recorded under another directory: SOURCE is matched to the recorded
path sharing the longest path suffix with it.

  -m, --metric M      metric to show (default: the profile's own)
      --pid P         only samples of process P
      --tid T         only samples of thread T (its tid, or iid:tid)
      --color WHEN    auto (default: on a terminal, unless NO_COLOR is set), always, never
      --json          machine-readable output (docs/cli.md)`,
    positionals: ['PROFILE', 'SOURCE'],
    options: { ...SCOPE, ...COMMON, color: { type: 'string' } },
    run: (io, [file, source], v) => runAnnotate(io, file, source, v),
  },
  diff: {
    usage: `flamelens diff BASE CURRENT [options]

What got faster or slower from the run BASE to the run CURRENT, by function (default) or by line,
in the metric's unit (not in shares: when one thing gets faster every other share goes up).
A change is flagged when a test on the sample counts says it is not noise (|z| >= 3) and it is
at least the minimum effect. Lines are carried to CURRENT's line numbers through their function.

  -m, --metric M      metric to compare (default: CURRENT's own); BASE must record the same
      --by function|line   compare functions (default) or source lines
      --compare MODE  value (default: as recorded), per-sample (runs that did different
                      amounts of work), share (percent of each total, in points)
      --min-effect P  smallest flagged change, in % of the baseline value (default 5)
      --min-share P   smallest flagged change, in % of BASE's total (default 0.1)
      --fail-on-regression P   exit 3 when a flagged regression exceeds P % of its baseline value
  -n, --limit N       show the N largest flagged changes (default ${DIFF_DEFAULT_LIMIT}; 0 for all)
      --all           list unflagged changes too (marked noise)
      --json          every compared function or line, machine-readable (docs/cli.md)`,
    positionals: ['BASE', 'CURRENT'],
    options: {
      metric: SCOPE.metric,
      ...COMMON,
      by: { type: 'string' },
      compare: { type: 'string' },
      'min-effect': { type: 'string' },
      'min-share': { type: 'string' },
      'fail-on-regression': { type: 'string' },
      limit: { type: 'string', short: 'n' },
      all: { type: 'boolean' },
    },
    run: (io, [base, current], v) => runDiff(io, base, current, v),
  },
  info: {
    usage: `flamelens info PROFILE [--json]

What a profile holds: format, metadata, metrics, processes and threads with their sample counts,
and any problems met while reading it.`,
    positionals: ['PROFILE'],
    options: COMMON,
    run: (io, [file], v) => runInfo(io, file, v),
  },
  flamegraph: {
    usage: `flamelens flamegraph PROFILE [options]

One self-contained HTML file with the profile's flame graph, icicle, search and sandwich views:
data and code inline, no server, nothing fetched (opens offline; for CI artifacts and sharing).

  -m, --metric M      metric to show (default: the profile's own)
      --pid P         only samples of process P
      --tid T         only samples of thread T (its tid, or iid:tid)
  -o, --output FILE   write to FILE (without it, stdout, unless stdout is a terminal)`,
    positionals: ['PROFILE'],
    options: { ...SCOPE, help: COMMON.help, output: { type: 'string', short: 'o' } },
    run: (io, [file], v) => runFlameGraph(io, file, v),
  },
};

const USAGE = `flamelens ${version}: profiler results per source line

usage:
  flamelens top PROFILE [--metric M] [--pid P] [--tid T] [--by line|function] [--limit N] [--json]
  flamelens annotate PROFILE SOURCE [--metric M] [--pid P] [--tid T] [--color auto|always|never] [--json]
  flamelens info PROFILE [--json]
  flamelens diff BASE CURRENT [--by function|line] [--metric M] [--json] [--fail-on-regression PCT]
  flamelens flamegraph PROFILE [--metric M] [--pid P] [--tid T] [-o out.html]
  flamelens --stdio                 run the language server (what editors start)
  flamelens COMMAND --help | --help | --version

PROFILE is a profile file, gzip-compressed or not, or - for standard input; its format is recognised from its content. Formats: ${FORMATS.map((f) => f.name).join(', ')}.
Exit codes: 0 ok, 1 results printed but the profile had read problems, 2 usage error or unreadable profile
(or profiles that cannot be compared), 3 diff --fail-on-regression found a regression,\n70 internal error (a bug: please report it).
More: docs/cli.md`;

function processIo(): Io {
  return {
    out: (t) => void process.stdout.write(t),
    err: (t) => void process.stderr.write(t),
    isTty: process.stdout.isTTY === true,
    env: process.env,
  };
}

/** Runs the CLI and resolves to its exit code; usage errors and unreadable profiles give 2. */
export async function runCli(args: string[], io: Io = processIo()): Promise<number> {
  // `flamelens top ... | head` closes the pipe early: that is not an error
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(EXIT_OK);
  });
  try {
    return await dispatch(args, io);
  } catch (e) {
    if (!(e instanceof CliError)) throw e;
    io.err(`flamelens: ${e.message}\n`);
    return e.code;
  }
}

/** One line in our words for what node's argument parser refused (its messages quote unevenly). */
function argumentError(e: NodeJS.ErrnoException, options: Options): string {
  const opt = /'(--?[^' <=]+)/.exec(e.message)?.[1] ?? '';
  const known = Object.entries(options).map(([k, o]) => `--${k}${o.type === 'string' ? ' VALUE' : ''}`).join(', ');
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${opt}; options: ${known}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (/does not take an argument/.test(e.message)) return `${opt} takes no value`;
      if (/ambiguous/.test(e.message)) return `${opt} needs a value (one starting with '-' is written ${opt}=-VALUE)`;
      return `${opt} needs a value`;
    default:
      return e.message.split('\n')[0];
  }
}

async function dispatch(args: string[], io: Io): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined) throw new CliError(`no command given; commands: ${Object.keys(COMMANDS).join(', ')} (flamelens --help)`);
  if (name === '--help' || name === '-h' || name === 'help') {
    const cmd = name === 'help' && rest[0] ? COMMANDS[rest[0]] : undefined;
    io.out((cmd ? cmd.usage : USAGE) + '\n');
    return EXIT_OK;
  }
  if (name === '--version' || name === '-V') {
    io.out(`${version}\n`);
    return EXIT_OK;
  }
  const cmd = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!cmd) throw new CliError(`unknown command '${name}'; commands: ${Object.keys(COMMANDS).join(', ')} (flamelens --help)`);
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: cmd.options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new CliError(`${name}: ${argumentError(e as NodeJS.ErrnoException, cmd.options)} (flamelens ${name} --help)`);
  }
  if (parsed.values.help) {
    io.out(cmd.usage + '\n');
    return EXIT_OK;
  }
  const pos = parsed.positionals;
  if (pos.length !== cmd.positionals.length) {
    const want = cmd.positionals.join(' ');
    throw new CliError(`${name}: expected ${want}, got ${pos.length ? pos.map((x) => `'${x}'`).join(' ') : 'nothing'} (flamelens ${name} --help)`);
  }
  return cmd.run(io, pos, parsed.values);
}
