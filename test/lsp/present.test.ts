// The text of hints, lenses and hovers: numbers and escaping (pure, no connection).
import { describe, expect, it } from 'vitest';
import {
  type CostContext,
  displayName,
  distinctNames,
  escapeMarkdown,
  functionHover,
  hintLabel,
  hintTooltip,
  inert,
  inlineCode,
  lensTitle,
  lineHover,
  moduleName,
  nameFrom,
  qualifiedName,
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

describe('names across files', () => {
  it('qualify Python functions by their module, as users say it', () => {
    expect(moduleName('/usr/lib/python3.11/inspect.py')).toBe('inspect');
    expect(moduleName('/usr/lib/python3.11/json/__init__.py')).toBe('json');
    expect(moduleName('<frozen runpy>')).toBe('runpy');
    expect(moduleName('pricing.py')).toBe('pricing');
    expect(moduleName('/w/js/checkout.js')).toBeUndefined();
    expect(qualifiedName('stack', '/usr/lib/python3.11/inspect.py')).toBe('inspect.stack');
    expect(qualifiedName('_make_iterencode.<locals>._iterencode_dict', '/usr/lib/python3.11/json/encoder.py')).toBe('encoder._make_iterencode._iterencode_dict');
    expect(qualifiedName('priceCart', '/w/js/checkout.js')).toBe('priceCart');
    expect(nameFrom('line_total', '/w/pricing.py', '/w/pricing.py')).toBe('line_total');
    expect(nameFrom('stack', '/usr/lib/python3.11/inspect.py', '/w/pricing.py')).toBe('inspect.stack');
    // profile strings stay inert
    expect(qualifiedName('f\u001b[31m', '/w/evil\u202e.py')).toBe('evil\\u202e.f\\x1b[31m');
  });
});

describe('where a line\'s time goes', () => {
  it('says what a line with no own time calls instead of "own 0.0%"', () => {
    expect(hintLabel(ctx, { own: 0, total: 208_000 }, 'both', { name: 'inspect.stack', share: 100 })).toBe('20.8% · in inspect.stack');
    expect(hintLabel(ctx, { own: 0, total: 205_000 }, 'both', { name: 'best_discount', share: 60.4 })).toBe('20.5% · 60% in best_discount');
    // own time, or another mode: as before
    expect(hintLabel(ctx, { own: 1_000, total: 205_000 }, 'both', { name: 'x', share: 99 })).toBe('20.5% · own 0.1%');
    expect(hintLabel(ctx, { own: 0, total: 205_000 }, 'total', { name: 'x', share: 99 })).toBe('20.5%');
    const hover = lineHover({ ctx, file: 'a.py', line: 16, figures: { own: 0, total: 208_000 }, callees: [], threads: [], call: { name: 'inspect.stack', share: 100 } });
    expect(hover).toContain('**20.8%** total (208 ms) · none of it in the line itself: 100.0% in `inspect.stack`');
  });

  it('names the dominant callee and what module code is in lens titles', () => {
    expect(lensTitle(ctx, { own: 0, total: 208_000 }, [], undefined, { mainCallee: { name: 'inspect.stack', share: 81.2 } })).toBe('20.8% total · 0.0% own · 81% in inspect.stack');
    expect(lensTitle(ctx, { own: 0, total: 22_000 }, [], 'shown at its hottest line', { what: '<module> (import time)' })).toBe(
      '<module> (import time) · 2.2% total · 0.0% own · shown at its hottest line',
    );
  });
});

describe('lens titles', () => {
  it('list up to the given callers with their share of the function', () => {
    const title = lensTitle(ctx, { own: 4_000, total: 125_000 }, [
      { name: 'test_log', file: '/w/tests/test_console.py', value: 75_000 },
      { name: 'Console.<locals>.render', file: '/w/rich/console.py', value: 37_500 },
      // 0.04 % of the function's total: noise, not listed
      { name: 'tiny', file: '/w/rich/console.py', value: 50 },
    ]);
    expect(title).toBe('12.5% total · 0.4% own · callers: test_log 60%, Console.<locals>.render 30%'.replace('.<locals>', ''));
  });

  it('qualify two different callers that would read the same', () => {
    const title = lensTitle(ctx, { own: 0, total: 100_000 }, [
      { name: 'render', file: '/w/rich/console.py', value: 60_000 },
      { name: 'render', file: '/w/rich/segment.py', value: 40_000 },
    ]);
    expect(title).toBe('10.0% total · 0.0% own · callers: render (console.py) 60%, render (segment.py) 40%');
    // same file name in two folders: the whole label
    expect(distinctNames([{ name: 'f', file: 'a/x.py' }, { name: 'f', file: 'b/x.py' }, { name: 'g', file: 'b/x.py' }])).toEqual(['f (a/x.py)', 'f (b/x.py)', 'g']);
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
    expect(inlineCode('line\nbreak')).toBe('`line\\x0abreak`');
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
      file: 'pkg/__init__.py',
      line: 3,
      functionName: '*args <b>bold</b>',
      figures: { own: 1, total: 2 },
      callees: [{ name: '<listcomp>', file: 'a_b.py', value: 2 }],
      threads: [
        { label: 'Main_Thread', own: 1, total: 1 },
        { label: '[link](http://x)', own: 0, total: 1 },
      ],
    });
    // every profile string sits in a code span
    // the file as the user knows it (relative to the workspace folder), not its bare name
    expect(md).toContain('`pkg/__init__.py` line 3');
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
      file: 'shop/inventory.py',
      figures: { own: 10_000, total: 200_000 },
      callers: [
        { name: 'restock', file: 'shop/inventory.py', line: 51, value: 150_000 },
        { name: 'noise', file: 'shop/inventory.py', line: 60, value: 20 },
      ],
      callees: [{ name: 'audit', file: 'shop/inventory.py', value: 190_000 }],
      hotLines: [{ line: 42, own: 0, total: 120_000 }],
      stale: { reasons: ['the profile records line 263 past the end of the file (26 lines)'] },
    });
    expect(md).toContain('function `Inventory.ship` in `shop/inventory.py`');
    expect(md).toContain("**Callers** (share of this function's total)");
    expect(md).toContain('- 75.0% from `restock` at `shop/inventory.py:51`');
    // a caller worth 0.01 % of the function is not listed
    expect(md).not.toContain('noise');
    expect(md).toContain('- 19.0% `audit` in `shop/inventory.py` (95.0% of this function)');
    expect(md).toContain('- line 42: 12.0% total');
    expect(md).toContain('_Possibly stale: the profile records line 263 past the end of the file \\(26 lines\\)._');
  });
});

describe('inert text', () => {
  it('shows control, separator and bidi characters as visible escapes and keeps the rest', () => {
    const hostile = 'a\x1b[2Jb\r\x07\u202eevil\u2028\u0085\u2066x\0';
    const out = inert(hostile);
    // eslint-disable-next-line no-control-regex
    expect(out).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
    expect(out).toBe('a\\x1b[2Jb\\x0d\\x07\\u202eevil\\u2028\\x85\\u2066x\\x00');
    expect(inert('Console.render <listcomp> é 漢')).toBe('Console.render <listcomp> é 漢');
  });

  it('reaches lens titles and display names', () => {
    expect(displayName('f\u202e.<locals>.g')).toBe('f\\u202e.g');
  });
});

describe('hint labels', () => {
  it('say a leaf line total once: all of it is its own', () => {
    expect(hintLabel(ctx, { own: 141_000, total: 141_000 }, 'both')).toBe('14.1% · all own');
    expect(hintLabel(ctx, { own: 3_000, total: 49_000 }, 'both')).toBe('4.9% · own 0.3%');
  });
});
