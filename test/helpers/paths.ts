import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const FIXTURES = resolve(__dirname, '..', 'fixtures');
export const RECORDED = join(FIXTURES, 'recorded');
export const WORKLOADS = join(FIXTURES, 'workloads');
/** Another project's data: read from ../shared when present, never copied into the repo. */
export const UPSTREAM = resolve(__dirname, '..', '..', '..', 'shared', 'profiles', 'upstream');
export const hasUpstream = existsSync(UPSTREAM);

export const recorded = (name: string): string => join(RECORDED, name);
export const upstream = (name: string): string => join(UPSTREAM, name);
