// Plumbing shared by the CLI commands: loading with uniform errors, metric and scope flags,
// text tables, colour decisions and the JSON envelope.
import { basename } from 'node:path';
import { streamSource } from '../core/byte-source';
import { describeIssues, loadProfile, loadSource, ProfileError, type LoadResult } from '../core/load';
import type { MetricDef, Profile, Scope, ThreadInfo } from '../core/model';
import { inert } from '../core/present';
import type { ReadIssue } from '../core/readers/types';
import { ProfileView } from '../core/view';

/** Exit codes, documented in docs/cli.md. */
export const EXIT_OK = 0;
export const EXIT_READ_PROBLEMS = 1;
export const EXIT_USAGE = 2;

/** The version of every `--json` document; bumped only on incompatible changes. */
export const JSON_SCHEMA = 1;

/** A failure that ends the command with one message on stderr and a non-zero exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly code = EXIT_USAGE,
  ) {
    super(message);
  }
}

/** Where a command writes; tests and the dispatcher pass process streams. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  readonly isTty: boolean;
  readonly env: NodeJS.ProcessEnv;
}

export interface Loaded extends LoadResult {
  readonly file: string;
  /** One line naming the file and where reading stopped, when the reader met problems. */
  readonly problem: string | undefined;
}

/**
 * Loads a profile (`-` for standard input, read as it arrives); any failure to open or recognise it
 * becomes a CliError naming the file.
 */
export async function openProfile(file: string): Promise<Loaded> {
  const name = file === '-' ? '(standard input)' : file;
  try {
    const r = file === '-' ? await loadSource(name, streamSource(process.stdin)) : await loadProfile(file);
    return { ...r, file: name, problem: describeIssues(inert(name), r.reader.issues) };
  } catch (e) {
    if (e instanceof ProfileError) throw new CliError(inert(e.message));
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(`${inert(name)}: cannot read: ${code ?? (e as Error).message}`);
  }
}

/** Resolves `--metric`, defaulting to the profile's own choice; a profile without samples says why. */
export function pickMetric(loaded: Loaded, key: string | undefined): MetricDef {
  const p = loaded.profile;
  if (p.metrics.length === 0) {
    throw new CliError(inert(loaded.problem ?? `${loaded.file}: the profile holds no samples`));
  }
  const k = key ?? p.defaultMetric();
  const def = p.metrics.find((m) => m.key === k);
  if (def) return def;
  const have = p.metrics.map((m) => `${m.key} (${m.label})`).join(', ');
  throw new CliError(`${inert(loaded.file)}: no metric '${inert(k)}'; this profile has: ${have}`);
}

/** The engine's view of a loaded profile for the metric and scope flags. */
export function profileView(loaded: Loaded, metric: string | undefined, pid: string | undefined, tid: string | undefined): ProfileView {
  const m = pickMetric(loaded, metric);
  const scope = pickScope(loaded, pid, tid);
  return ProfileView.create(loaded.profile, m.key, scope, basename(loaded.file));
}

/** A list cut to a readable length: "a, b, c and 12 more". */
export function listSome(items: readonly string[], max = 8): string {
  if (items.length <= max) return items.join(', ');
  return `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

function threadName(t: ThreadInfo): string {
  return inert(t.iid && t.iid !== '0' ? `${t.iid}:${t.tid}` : t.tid);
}

/** Whether `--tid` names this thread: its tid, `iid:tid` or display label. */
function tidMatches(t: ThreadInfo, tid: string): boolean {
  return t.tid === tid || `${t.iid}:${t.tid}` === tid || t.label === tid;
}

/** Resolves `--pid` / `--tid` into a model scope; unknown values list what exists. */
export function pickScope(loaded: Loaded, pid: string | undefined, tid: string | undefined): Scope {
  const p = loaded.profile;
  if (pid !== undefined && !p.processes().includes(pid)) {
    const have = p.processes().filter((x) => x !== '');
    const list = have.length ? `processes: ${listSome(have)}` : 'this profile records no process ids';
    throw new CliError(`${inert(loaded.file)}: no process '${inert(pid)}'; ${inert(list)}`);
  }
  if (tid === undefined) return pid === undefined ? {} : { pid };
  const candidates = p.threads.filter((t) => pid === undefined || t.pid === pid);
  const hits = candidates.filter((t) => tidMatches(t, tid));
  const describe = (t: ThreadInfo) => (t.pid ? `${threadName(t)} (pid ${t.pid})` : threadName(t));
  if (hits.length === 0) {
    const where = pid !== undefined ? ` in process ${pid}` : '';
    throw new CliError(`${inert(loaded.file)}: no thread '${inert(tid)}'${inert(where)}; threads: ${listSome(candidates.map(describe))}`);
  }
  if (hits.length > 1) {
    throw new CliError(`${inert(loaded.file)}: thread '${inert(tid)}' is ambiguous (${listSome(hits.map(describe))}); add --pid`);
  }
  return pid === undefined ? { thread: hits[0].index } : { pid, thread: hits[0].index };
}

/** Human description of a scope: "all samples", "process 13334", "thread 12901 of process 12701". */
export function describeScope(p: Profile, scope: Scope): string {
  if (scope.thread !== undefined) {
    const t = p.threads[scope.thread];
    return t.pid ? `thread ${threadName(t)} of process ${inert(t.pid)}` : `thread ${threadName(t)}`;
  }
  if (scope.pid !== undefined) return `process ${inert(scope.pid)}`;
  const procs = p.processes().filter((x) => x !== '').length;
  const threads = p.threads.length;
  const pl = procs > 1 ? `${procs} processes, ` : '';
  return `all samples (${pl}${threads} thread${threads === 1 ? '' : 's'})`;
}

/** The scope as it appears in JSON output. */
export function scopeJson(p: Profile, scope: Scope): { pid: string | null; thread: ThreadJson | null } {
  const t = scope.thread !== undefined ? p.threads[scope.thread] : undefined;
  return { pid: scope.pid ?? t?.pid ?? null, thread: t ? threadJson(t) : null };
}

export interface ThreadJson {
  pid: string;
  tid: string;
  iid: string;
  label: string;
}

export function threadJson(t: ThreadInfo): ThreadJson {
  return { pid: t.pid, tid: t.tid, iid: t.iid, label: t.label };
}

export function metricJson(m: MetricDef): { key: string; label: string; unit: string } {
  return { key: m.key, label: m.label, unit: m.unit };
}

export function issuesJson(issues: readonly ReadIssue[]): { message: string; offset: number; line: number | null; fatal: boolean }[] {
  return issues.map((i) => ({ message: i.message, offset: i.offset, line: i.line ?? null, fatal: i.fatal }));
}

/** Percent rounded for JSON: four decimals keep outputs diffable without losing the answer keys' precision. */
export function pct(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

/** Serialises a JSON document with the schema version first. */
export function writeJson(io: Io, command: string, body: Record<string, unknown>): void {
  io.out(JSON.stringify({ schema: JSON_SCHEMA, command, ...body }, null, 2) + '\n');
}

/** Reports read problems (after the results, so they are the last thing seen) and picks the exit code. */
export function finish(io: Io, loaded: Loaded): number {
  if (!loaded.problem) return EXIT_OK;
  io.err(`flamelens: ${inert(loaded.problem)}\n`);
  return EXIT_READ_PROBLEMS;
}

export type ColorMode = 'auto' | 'always' | 'never';

/** Colour when asked to, or on a terminal unless NO_COLOR is set (https://no-color.org). */
export function useColor(io: Io, mode: string | undefined): boolean {
  const m = (mode ?? 'auto') as ColorMode;
  if (m === 'always') return true;
  if (m === 'never') return false;
  if (m !== 'auto') throw new CliError(`--color must be auto, always or never, not '${mode}'`);
  const noColor = io.env.NO_COLOR;
  return io.isTty && (noColor === undefined || noColor === '');
}

export type Align = 'left' | 'right';

/** Lays out rows as space-separated columns; the last column is never padded. */
export function table(rows: readonly (readonly string[])[], align: readonly Align[], indent = '  '): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, [...c].length)));
  return rows.map((r) =>
    (
      indent +
      r
        .map((c, i) => {
          if (i === r.length - 1 && align[i] !== 'right') return c;
          const pad = ' '.repeat(widths[i] - [...c].length);
          return align[i] === 'right' ? pad + c : c + pad;
        })
        .join('  ')
    ).trimEnd(),
  );
}

/** A metric as headers name it: `CPU time (cpu)`, but `samples (weight)`, not `samples (weight) (samples)`. */
export function metricName(m: MetricDef): string {
  return m.label === m.key || m.label.startsWith(`${m.key} `) ? m.label : `${m.label} (${m.key})`;
}
