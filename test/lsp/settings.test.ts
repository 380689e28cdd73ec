// parseSettings: defaults, bad values logged and ignored; globs for flamelens.profiles.
import { describe, expect, it } from 'vitest';
import { knownExtensions } from '../../server/src/core/readers/index';
import { defaultSettings, parseSettings } from '../../server/src/settings';
import { globMatcher, globToRegExp } from '../../server/src/core/glob';

describe('parseSettings', () => {
  it('fills every default from nothing', () => {
    const warnings: string[] = [];
    expect(parseSettings(undefined, (w) => warnings.push(w))).toEqual(defaultSettings());
    expect(parseSettings({}, (w) => warnings.push(w))).toEqual(defaultSettings());
    expect(warnings).toEqual([]);
    expect(defaultSettings().profiles).toEqual(knownExtensions().map((e) => `**/*${e}`));
    expect(defaultSettings().profiles).toContain('**/*.austin');
  });

  it('takes good values, from the section or from an object holding it', () => {
    const s = parseSettings({
      flamelens: {
        threshold: 2,
        hints: 'own',
        lenses: false,
        profiles: 'perf/*.mojo',
        refreshInterval: 250,
        pathMappings: [{ localRoot: '${workspaceFolder}', remoteRoot: '/app' }],
        metric: 'wall',
        logLevel: 'debug',
        maxWorkspaceFiles: 10,
        enabled: false,
        heat: 'total',
        percentOf: 'function',
        diagnostics: { enabled: true, count: 3 },
        baseline: ' runs/before.austin ',
        diffCompare: 'perSample',
        diffMinEffect: 10,
        diffMinShare: 0,

        exclude: ['vendor', '**/generated'],
      },
    });
    expect(s).toEqual({
      enabled: false,
      profiles: ['perf/*.mojo'],
      threshold: 2,
      hints: 'own',
      lenses: false,
      refreshInterval: 250,
      pathMappings: [{ localRoot: '${workspaceFolder}', remoteRoot: '/app' }],
      metric: 'wall',
      logLevel: 'debug',
      maxWorkspaceFiles: 10,
      heat: 'total',
      percentOf: 'function',
      diagnostics: { enabled: true, count: 3, threshold: 1, severity: 'information' },
      baseline: 'runs/before.austin',
      diffCompare: 'perSample',
      diffMinEffect: 10,
      diffMinShare: 0,
      exclude: ['vendor', '**/generated'],
    });
    // `diagnostics: true` stands for { enabled: true }
    expect(parseSettings({ diagnostics: true }).diagnostics).toEqual({ ...defaultSettings().diagnostics, enabled: true });
    // "none" and an empty string both mean no baseline
    expect(parseSettings({ baseline: 'none' }).baseline).toBeNull();
    expect(parseSettings({ baseline: '' }).baseline).toBeNull();
    expect(parseSettings({ baseline: 'previous' }).baseline).toBe('previous');

  });

  it('logs each bad value and keeps its default', () => {
    const warnings: string[] = [];
    const s = parseSettings(
      {
        threshold: -1,
        hints: 'loud',
        profiles: ['**/*.{austin'],
        refreshInterval: 10,
        pathMappings: [{ localRoot: 1 }],
        logLevel: 'chatty',
        maxWorkspaceFiles: 1.5,
        enabled: 'yes',
        lenses: null,
        metric: {},
        heat: 'hot',
        percentOf: 'thread',
        baseline: 3,
        diffCompare: 'shares',
        diffMinEffect: -5,
        diffMinShare: 200,

      },
      (w) => warnings.push(w),
    );
    expect(s).toEqual(defaultSettings());
    expect(warnings).toHaveLength(16);
    expect(warnings.join('\n')).toContain('flamelens.percentOf: expected one of scope, profile, function');
    // each bad key of diagnostics is reported and keeps its default; good ones are taken
    const d: string[] = [];
    const parsed = parseSettings({ diagnostics: { enabled: 'on', count: 0, threshold: 101, severity: 'error' } }, (w) => d.push(w));
    expect(parsed.diagnostics).toEqual(defaultSettings().diagnostics);
    expect(d.map((w) => w.split(':')[0])).toEqual(['flamelens.diagnostics.enabled', 'flamelens.diagnostics.count', 'flamelens.diagnostics.threshold', 'flamelens.diagnostics.severity']);
    expect(parseSettings({ diagnostics: { severity: 'hint', threshold: 0 } }, (w) => d.push(w)).diagnostics).toMatchObject({ severity: 'hint', threshold: 0, enabled: false });
    parseSettings({ diagnostics: 'yes' }, (w) => d.push(w));
    expect(d.at(-1)).toMatch(/^flamelens\.diagnostics: expected an object/);


    expect(warnings.join('\n')).toContain('flamelens.profiles: invalid glob "**/*.{austin"');
    expect(parseSettings('nonsense', (w) => warnings.push(w))).toEqual(defaultSettings());
    expect(warnings.at(-1)).toMatch(/expected an object/);
  });
});

describe('profile globs', () => {
  it('match relative paths, with ** for any depth and bare patterns by file name', () => {
    const m = globMatcher(['**/*.austin', 'perf/*.{mojo,pprof}']);
    expect(m('run.austin')).toBe(true);
    expect(m('a/b/c/run.austin')).toBe(true);
    expect(m('run.austin.txt')).toBe(false);
    expect(m('perf/x.mojo')).toBe(true);
    expect(m('perf/x.pprof')).toBe(true);
    expect(m('other/perf/x.mojo')).toBe(false);
    expect(globMatcher(['*.mojo'])('deep/down/x.mojo')).toBe(true);
    expect(globMatcher(['prof?.[ab]ustin'])('prof1.austin')).toBe(true);
  });

  it('reject malformed patterns', () => {
    expect(globToRegExp('{a,b')).toBeUndefined();
    expect(globToRegExp('a}')).toBeUndefined();
    expect(globToRegExp('[abc')).toBeUndefined();
    expect(globToRegExp('  ')).toBeUndefined();
  });
});
