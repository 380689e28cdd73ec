import { metric, type MetricDef } from '../model';
import { FloatQueue, IntQueue } from './typed-queues';

/**
 * One speedscope profile while it is read, and what its name and unit say: its thread (austin2speedscope and py-spy name
 * their profiles after the thread) and what its weights measure.
 */

const AUSTIN_NAME = /^(Wall time|CPU time|Memory allocation|Memory deallocation) profile for (\d+):(?:(\d+):)?(.+)$/;
const PYSPY_NAME = /^(?:Process (\d+) )?Thread (\S+)(?: "(.*)")?$/;
const AUSTIN_KIND: Record<string, Kind> = {
  'Wall time': 'wall',
  'CPU time': 'cpu',
  'Memory allocation': 'alloc',
  'Memory deallocation': 'dealloc',
};
/** Time units to microseconds, Austin's unit, so profiles of any time unit add up. */
const SCALE: Record<string, number> = { nanoseconds: 1e-3, microseconds: 1, milliseconds: 1e3, seconds: 1e6 };

/** The metric a profile's weights go to; 'weight' is a unitless weight (unit `none`). */
export type Kind = 'wall' | 'cpu' | 'time' | 'alloc' | 'dealloc' | 'weight';

export function profileKind(name: string | undefined, unit: string | undefined): { kind: Kind; austin: boolean } {
  const m = AUSTIN_NAME.exec(name ?? '');
  if (m) return { kind: AUSTIN_KIND[m[1]], austin: true };
  const u = unit ?? 'none';
  if (SCALE[u] !== undefined) return { kind: 'time', austin: false };
  if (u === 'bytes') return { kind: 'alloc', austin: false };
  return { kind: 'weight', austin: false };
}

/** Factor from the profile's unit to the metric's (microseconds for times, else 1). */
export function unitScale(unit: string | undefined): number {
  return SCALE[unit ?? ''] ?? 1;
}

/** The metrics a file gets from its first profile (see speedscope.ts). */
export function metricsFor(kind: Kind, austin: boolean): MetricDef[] {
  switch (kind) {
    case 'wall':
    case 'cpu':
    case 'time':
      return [metric(kind), metric('samples')];
    case 'alloc':
    case 'dealloc':
      return austin
        ? [metric('alloc'), metric('dealloc'), metric('samples')]
        : [{ key: 'alloc', label: 'memory', unit: 'bytes' }, metric('samples')];
    default:
      return [{ key: 'samples', label: 'samples (weight)', unit: 'count' }];
  }
}

/** pid/iid/tid and label from a profile name; otherwise the profile's index is its tid. */
export function threadOfName(name: string, index: number): { pid: string; tid: string; iid: string; label?: string } {
  let m = AUSTIN_NAME.exec(name);
  if (m) return { pid: m[2], tid: m[4], iid: m[3] ?? '' };
  m = PYSPY_NAME.exec(name);
  if (m) return { pid: m[1] ?? '', tid: m[2], iid: '', label: m[3] || undefined };
  return { pid: '', tid: String(index), iid: '', label: name || `profile ${index}` };
}

export interface ProfileState {
  readonly index: number;
  name?: string;
  unit?: string;
  ready: boolean;
  skip: boolean;
  thread: number;
  slot: number;
  countSlot: number;
  scale: number;
  values: Float64Array;
  /** Nodes of samples whose weight has not been read yet (-1: a sample that was dropped). */
  nodes: IntQueue;
  /** Weights read before their sample. */
  weights: FloatQueue;
  /** Frame indices of samples read before the profile could be resolved, and their lengths. */
  raw: IntQueue | null;
  rawLens: IntQueue | null;
  /** Events read before the profile could be resolved: (type, at, frame) triples. */
  rawEvents: FloatQueue | null;
  // evented state
  open: IntQueue;
  openIds: IntQueue;
  lastAt: number;
  evStarted: boolean;
}

/** A profile whose object has just started. */
export function newProfileState(index: number): ProfileState {
  return {
    index,
    ready: false,
    skip: false,
    thread: -1,
    slot: -1,
    countSlot: -1,
    scale: 1,
    values: new Float64Array(0),
    nodes: new IntQueue(),
    weights: new FloatQueue(),
    raw: null,
    rawLens: null,
    rawEvents: null,
    open: new IntQueue(),
    openIds: new IntQueue(),
    lastAt: 0,
    evStarted: false,
  };
}
