/**
 * Profile meta keys by which a reader says what its format does NOT provide, so that hints,
 * lenses and hovers show what the file has and never invent the rest (design.md).
 * Absent keys mean "full data" (Austin, MOJO, pprof, speedscope, collapsed, perf).
 */
export const META = {
  /**
   * 'none': the format has no per-line totals. Non-leaf frames sit at their function's definition
   * line, so `lineTotal` of a definition line is an artefact of the reader: do not show line
   * totals; say "this format records no per-line totals" (.cpuprofile, pstats).
   */
  lineTotals: 'flamelens.lineTotals',
  /**
   * 'none': no per-line own values either; own values sit on definition lines only, so show them
   * as function costs (lenses), not as line hints (pstats).
   */
  lineOwn: 'flamelens.lineOwn',
  /**
   * 'pstats': the call tree cannot represent cumulative times (pstats has no stacks). `funcOwn`
   * from the tree is exact, but function totals and callers must be read from `pstatsTable(profile)`
   * (readers/pstats.ts), not from `aggregate().funcTotal` / `callers()`.
   */
  functionTotals: 'flamelens.functionTotals',
} as const;
