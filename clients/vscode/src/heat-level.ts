// Which of the four tint steps a line gets. Pure (no `vscode` import) so that a unit test can run
// it next to the Neovim plugin's copy (clients/nvim/lua/flamelens/heat.lua) on the same cases.
import { HEAT_LEVELS } from '../../../server/src/protocol';

/** Both clients draw exactly this many steps (protocol.ts, mirrored in heat.lua). */
export { HEAT_LEVELS };

/**
 * The step, 1..HEAT_LEVELS, for a line the server sent; 0 for no tint. The server's `level` wins
 * (one scale for the whole profile); without it, `heat` in quarters: <= 0.25 is 1, <= 0.5 is 2,
 * <= 0.75 is 3, above is 4.
 */
export function heatLevel(l: { heat: number; level?: number }): number {
  if (typeof l.level === 'number' && Number.isFinite(l.level)) {
    return l.level <= 0 ? 0 : Math.min(HEAT_LEVELS, Math.max(1, Math.round(l.level)));
  }
  if (!(l.heat > 0)) return 0;
  return Math.min(HEAT_LEVELS, Math.max(1, Math.ceil(l.heat * HEAT_LEVELS)));
}
