/**
 * A module is not a function: Python runs a file's top-level code (`<module>`) once, when it is
 * imported or run as the main script. Its cost is mostly the imports it makes, which is worth
 * knowing but not worth the first lens of the file. This tells what a `<module>` entry is.
 */
import type { FunctionRef, ProfileView } from './view';

export interface ModuleCode {
  /** import: run by the import system; script: run as the program (`python -m`, `python file.py`); module: anything else (exec). */
  readonly role: 'import' | 'script' | 'module';
  /** Its total less the time spent in imports it makes. */
  readonly outsideImports: number;
  readonly total: number;
}

/** CPython's name for a file's top-level code. */
export function isModuleCode(name: string): boolean {
  return name === '<module>' || name.endsWith('.<module>');
}

/** The import system's own frames (`<frozen importlib._bootstrap>`, `importlib/_bootstrap_external.py`, `__import__`). */
export function isImportMachinery(fn: Pick<FunctionRef, 'file' | 'name'>): boolean {
  return /importlib[\\/._]+_?bootstrap/.test(fn.file) || fn.name === '__import__' || fn.name === 'import_module';
}

const isRunpy = (fn: Pick<FunctionRef, 'file'>) => /(^<frozen runpy>$|[\\/]runpy\.py$)/.test(fn.file);

/** What a function is when it is a module's top-level code; undefined for any other function. */
export function moduleCode(view: ProfileView, funcId: number): ModuleCode | undefined {
  if (!isModuleCode(view.fn(funcId).name)) return undefined;
  const { total } = view.functionCost(funcId);
  const caller = view.callingFunctions(funcId)[0];
  const first = caller ? view.fn(caller.funcId) : undefined;
  const role = !first || isRunpy(first) ? 'script' : isImportMachinery(first) ? 'import' : 'module';
  let imports = 0;
  for (const c of view.callees(funcId)) if (isImportMachinery(view.fn(c.funcId))) imports += c.value;
  return { role, outsideImports: Math.max(0, total - imports), total };
}

/** `import time`, `run as a script`, or '' when neither. */
export function moduleRole(m: ModuleCode): string {
  return m.role === 'import' ? 'import time' : m.role === 'script' ? 'run as a script' : '';
}

/** `<module> (import time)`, `<module> (run as a script)`, `<module>`. */
export function moduleLabel(m: ModuleCode): string {
  const role = moduleRole(m);
  return role ? `<module> (${role})` : '<module>';
}

/** Module code whose time is (almost) all imports: under 5 % of it runs outside the import system. */
export function onlyImports(m: ModuleCode): boolean {
  return m.total > 0 && m.outsideImports < 0.05 * m.total;
}
