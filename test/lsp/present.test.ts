// The text of hints, lenses and hovers: numbers and escaping (pure, no connection).
import { describe, expect, it } from 'vitest';
import {
  type CostContext,
  displayName,
  escapeMarkdown,
  functionHover,
  hintLabel,
  hintTooltip,
  inlineCode,
  lensTitle,
  lineHover,
} from '../../server/src/core/present';

const ctx: CostContext = { metricLabel: 'CPU time', unit: 'microseconds', scopeTotal: 1_000_000, scopeLabel: 'all threads', profileName: 'run.austin' };

describe('hint labels', () => {
  it('shows total, own or both as a share of the scope total', () => {
    const f = { own: 3_000, total: 49_000 };
    expect(hintLabel(ctx, f, 'both')).toBe('4.9% · own 0.3%');
    expect(hintLabel(ctx, f, 'total')).toBe('4.9%');
    expect(hintLabel(ctx, f, 'own')).toBe('own 0.3%');
    expect(hintLabel(ctx, { own: 0, total: 400 }, 'total')).toBe('<0.1%');
  });

  it('gives absolute values, the metric and the scope in the tooltip', () => {
    const t = hintTooltip(ctx, { own: 3_000, total: 49_000 });
    expect(t).toContain('49.0 ms');
    expect(t).toContain('3.00 ms');
    expect(t).toContain('CPU time, all threads: 1.00 s in all');
  });
});

describe('lens titles', () => {
  it('list up to the given callers with their share of the function', () => {
    const title = lensTitle(ctx, { own: 4_000, total: 125_000 }, [
      { name: 'test_log', value: 75_000 },
      { name: 'Console.<locals>.render', value: 37_500 },
    ]);
    expect(title).toBe('12.5% total · 0.4% own · callers: test_log 60%, Console.<locals>.render 30%'.replace('.<locals>', ''));
  });

  it('say when the lens is not on a definition', () => {
    expect(lensTitle(ctx, { own: 0, total: 10_000 }, [], 'shown at its hottest line')).toBe('1.0% total · 0.0% own · shown at its hottest line');
  });
});

describe('markdown escaping', () => {
  it('makes code spans that hold any backticks', () => {
    expect(inlineCode('plain')).toBe('`plain`');
    expect(inlineCode('a`b')).toBe('``a`b``');
    expect(inlineCode('`edge')).toBe('`` `edge ``');
    expect(inlineCode('line\nbreak')).toBe('`line break`');
  });

  it('escapes markdown syntax in free text', () => {
    expect(escapeMarkdown('*args_<listcomp>[x](y)')).toBe('\\*args\\_\\<listcomp\\>\\[x\\]\\(y\\)');
  });

  it('drops .<locals> from qualified names', () => {
    expect(displayName('_make_iterencode.<locals>._iterencode_dict')).toBe('_make_iterencode._iterencode_dict');
    expect(displayName('blobs.<locals>.<listcomp>')).toBe('blobs.<listcomp>');
    expect(displayName('<module>')).toBe('<module>');
  });

  it('renders hostile names inert in hovers', () => {
    const md = lineHover({
      ctx: { ...ctx, profileName: 'my_`run`.austin' },
      file: '/w/pkg/__init__.py',
      line: 3,
      functionName: '*args <b>bold</b>',
      figures: { own: 1, total: 2 },
      callees: [{ name: '<listcomp>', file: '/w/a_b.py', value: 2 }],
      threads: [
        { label: 'Main_Thread', own: 1, total: 1 },
        { label: '[link](http://x)', own: 0, total: 1 },
      ],
    });
    // every profile string sits in a code span
    expect(md).toContain('`__init__.py`');
    expect(md).toContain('`*args <b>bold</b>`');
    expect(md).toContain('`<listcomp>` in `a_b.py`');
    expect(md).toContain('``my_`run`.austin``');
    expect(md).toContain('`[link](http://x)`');
    expect(md).toContain('**Per thread**');
  });

  it('puts callers, callees, hottest lines and staleness in a function hover', () => {
    const md = functionHover({
      ctx,
      name: 'Inventory.ship',
      file: '/w/shop/inventory.py',
      figures: { own: 10_000, total: 200_000 },
      callers: [{ name: 'restock', file: '/w/shop/inventory.py', line: 51, value: 150_000 }],
      callees: [{ name: 'audit', file: '/w/shop/inventory.py', value: 190_000 }],
      hotLines: [{ line: 42, own: 0, total: 120_000 }],
      stale: { sourceMtime: Date.UTC(2026, 0, 2, 3, 4, 5), profileMtime: Date.UTC(2026, 0, 1) },
    });
    expect(md).toContain('function `Inventory.ship` in `inventory.py`');
    expect(md).toContain('- 75% from `restock` at `inventory.py:51`');
    expect(md).toContain('- 19.0% `audit` in `inventory.py` (95% of this function)');
    expect(md).toContain('- line 42: 12.0% total');
    expect(md).toContain('2026-01-02 03:04:05 UTC');
    expect(md).toContain('2026-01-01 00:00:00 UTC');
  });
});
