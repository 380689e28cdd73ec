import { Profile } from '../model';
import { AustinTextReader } from './austin-text';
import { MojoReader } from './mojo';
import { CpuprofileReader, detectCpuprofile } from './cpuprofile';
import { detectPprof, PprofReader } from './pprof';
import { detectPstats, PstatsReader } from './pstats';
import { CollapsedReader, looksCollapsed } from './collapsed';
import { looksPerfScript, PerfScriptReader } from './perf-script';
import { looksSpeedscope, SpeedscopeReader } from './speedscope';
import type { ProfileReader } from './types';

/** A profile format: how to recognise it from its first bytes and how to read it. */
export interface FormatSpec {
  readonly name: string;
  /** File name endings that the workspace watcher looks for by default. */
  readonly extensions: readonly string[];
  /**
   * True when the reader produces data while bytes arrive and can continue a file that grew:
   * records are self-contained lines or events (Austin text, MOJO, folded stacks, perf script),
   * its `end()` is non-destructive (bytes pushed later complete a half-written last record as if
   * `end()` had not been called), and a growing file is read on from where it stopped. False for
   * whole-file formats (one message or JSON document, whole only at its end): a file that
   * changed is read again from its start.
   */
  readonly streaming: boolean;
  /** Decides from the first bytes (up to 4 KiB) of a file, never from its name. */
  detect(head: Uint8Array, text: string): boolean;
  create(profile: Profile): ProfileReader;
}

const AUSTIN_SAMPLE = /^(P\d+;T|Thread [0-9a-fA-F]+|Process \d+;Thread )/;

export const FORMATS: FormatSpec[] = [
  {
    name: 'mojo',
    streaming: true,
    extensions: ['.mojo'],
    detect: (head) => head.length >= 3 && head[0] === 0x4d && head[1] === 0x4f && head[2] === 0x4a,
    create: (profile) => new MojoReader(profile),
  },
  // Binary and JSON formats before the text ones: their magic bytes decide, text heuristics don't.
  {
    name: 'pprof',
    streaming: false,
    extensions: ['.pprof', '.pb.gz', '.pb'],
    detect: (head) => detectPprof(head),
    create: (profile) => new PprofReader(profile),
  },
  {
    name: 'pstats',
    streaming: false,
    extensions: ['.pstats', '.prof'],
    detect: (head) => detectPstats(head),
    create: (profile) => new PstatsReader(profile),
  },
  {
    name: 'cpuprofile',
    streaming: false,
    extensions: ['.cpuprofile'],
    detect: (_head, text) => detectCpuprofile(text),
    create: (profile) => new CpuprofileReader(profile),
  },
  {
    name: 'austin-text',
    streaming: true,
    extensions: ['.austin', '.aprof'],
    detect: (_head, text) => {
      for (const line of text.split('\n').slice(0, 64)) {
        if (line === '' || line === '\r') continue;
        if (line.startsWith('# austin:')) return true;
        if (line.startsWith('#')) continue;
        return AUSTIN_SAMPLE.test(line);
      }
      return false;
    },
    create: (profile) => new AustinTextReader(profile),
  },
  // After austin-text, which claims `# austin:` headers and `P<pid>;T` / `Thread ` samples first.
  {
    name: 'speedscope',
    streaming: false,
    extensions: ['.speedscope.json'],
    detect: (head, text) => looksSpeedscope(head, text),
    create: (profile) => new SpeedscopeReader(profile),
  },
  {
    name: 'perf-script',
    streaming: true,
    extensions: ['.perf.txt', '.perf-script'],
    detect: (head, text) => looksPerfScript(head, text),
    create: (profile) => new PerfScriptReader(profile),
  },
  {
    name: 'collapsed',
    streaming: true,
    extensions: ['.folded', '.collapsed'],
    detect: (head, text) => looksCollapsed(head, text),
    create: (profile) => new CollapsedReader(profile),
  },
];

/** Every file name ending some reader claims, for the default watch globs. */
export function knownExtensions(): string[] {
  return [...new Set(FORMATS.flatMap((f) => f.extensions))];
}

/** The format of a file from its first bytes, or undefined when no reader recognises it. */
export function detectFormat(head: Uint8Array): FormatSpec | undefined {
  const text = Buffer.from(head.buffer, head.byteOffset, head.byteLength).toString('latin1');
  return FORMATS.find((f) => f.detect(head, text));
}

/** The format registered under a name. */
export function formatSpec(name: string): FormatSpec | undefined {
  return FORMATS.find((f) => f.name === name);
}
