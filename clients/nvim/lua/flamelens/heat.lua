--- Line heat: `flamelens/lineHeat` notifications (server/src/protocol.ts) drawn as a background
--- tint per line, FlamelensHeat1 (coolest) .. FlamelensHeat4 (hottest): the same four steps as the
--- VS Code client. The groups are defined with `default`, so a colorscheme or the user can
--- override them. With a baseline, a line whose change is flagged also gets a sign, `▎` in
--- FlamelensRegression (more cost than in the baseline) or FlamelensImprovement (less, or gone):
--- a sign rather than a second tint, so that the line's heat stays readable, as gitsigns marks
--- changed lines.
local M = {}

local api = vim.api

M.ns = api.nvim_create_namespace('flamelens_heat')
M.levels = 4

-- muted tints that keep the colorscheme's text readable; the strongest stays well below full red
local palettes = {
  dark = {
    gui = { '#2c2320', '#41271f', '#57291c', '#6e2c18' },
    cterm = { 235, 52, 52, 88 },
  },
  light = {
    gui = { '#fcecdc', '#f8d8bb', '#f4c399', '#f0ae7c' },
    cterm = { 230, 223, 223, 216 },
  },
}
local defined = {} -- group -> gui colour this module set, to follow 'background' without clobbering user colours

--- Defines the groups for the current 'background'; `force` replaces only groups still ours.
function M.define_highlights(force)
  local palette = palettes[vim.o.background == 'light' and 'light' or 'dark']
  for level = 1, M.levels do
    local name = 'FlamelensHeat' .. level
    if force and defined[name] then
      local current = vim.fn.synIDattr(vim.fn.synIDtrans(vim.fn.hlID(name)), 'bg#', 'gui')
      if current:lower() == defined[name] then
        vim.cmd('highlight clear ' .. name)
      end
    end
    vim.cmd(string.format('highlight default %s guibg=%s ctermbg=%d', name, palette.gui[level], palette.cterm[level]))
    if vim.fn.synIDattr(vim.fn.hlID(name), 'bg#', 'gui'):lower() == palette.gui[level] then
      defined[name] = palette.gui[level]
    end
  end
end

--- The two change groups: linked to the diagnostic colours every colorscheme styles (DiagnosticOk
--- exists from 0.9; before, a green of our own).
function M.define_change_highlights()
  vim.cmd('highlight default link FlamelensRegression DiagnosticError')
  if vim.fn.hlexists('DiagnosticOk') == 1 then
    vim.cmd('highlight default link FlamelensImprovement DiagnosticOk')
  else
    vim.cmd('highlight default FlamelensImprovement guifg=#3fb950 ctermfg=2')
  end
end

M.define_highlights(false)
M.define_change_highlights()

M.change_sign = '▎'
local change_groups = { regression = 'FlamelensRegression', improvement = 'FlamelensImprovement' }

local by_file = {} -- file name -> last LineHeatParams for it

local function file_of(uri)
  local ok, fname = pcall(vim.uri_to_fname, uri)
  return ok and fname or uri
end

--- The step, 1..levels, for a line as the server sent it; 0 for no tint. The server's `level` wins
--- (one scale for the whole profile); without it, `heat` in quarters: <= 0.25 is 1, <= 0.5 is 2,
--- <= 0.75 is 3, above is 4. Same rule as clients/vscode/src/heat-level.ts.
function M.level(item)
  local level = type(item) == 'table' and tonumber(item.level) or nil
  if level and level == level then
    if level <= 0 then
      return 0
    end
    return math.max(1, math.min(M.levels, math.floor(level + 0.5)))
  end
  local heat = type(item) == 'table' and tonumber(item.heat) or tonumber(item)
  if not heat or heat ~= heat or heat <= 0 then
    return 0
  end
  return math.max(1, math.min(M.levels, math.ceil(heat * M.levels)))
end

function M.draw(bufnr, params)
  api.nvim_buf_clear_namespace(bufnr, M.ns, 0, -1)
  if not require('flamelens').options().heat then
    return
  end
  local count = api.nvim_buf_line_count(bufnr)
  for _, item in ipairs(params.lines or {}) do
    local line, level = item.line, M.level(item)
    local change = type(item) == 'table' and change_groups[item.change] or nil
    if change and type(line) == 'number' and line >= 0 and line < count then
      pcall(api.nvim_buf_set_extmark, bufnr, M.ns, line, 0, { sign_text = M.change_sign, sign_hl_group = change, priority = 90 })
    end
    if type(line) == 'number' and line >= 0 and line < count and level > 0 then
      local opts = { hl_group = 'FlamelensHeat' .. level, hl_eol = true, priority = 90 }
      if line + 1 < count then
        opts.end_row, opts.end_col = line + 1, 0
      else
        opts.end_row, opts.end_col = line, #api.nvim_buf_get_lines(bufnr, line, line + 1, false)[1]
      end
      -- a line can vanish between the notification and now; the next notification redraws
      pcall(api.nvim_buf_set_extmark, bufnr, M.ns, line, 0, opts)
    end
  end
end

--- Draws the last heat received for the buffer's file (on attach).
function M.redraw(bufnr)
  local params = by_file[api.nvim_buf_get_name(bufnr)]
  if params then
    M.draw(bufnr, params)
  end
end

--- The last heat lines received for a buffer: { {line, heat, percent}, ... }.
function M.get(bufnr)
  local params = by_file[api.nvim_buf_get_name(bufnr)]
  return params and params.lines or {}
end

--- `flamelens/lineHeat` handler.
function M.on_line_heat(err, params)
  if err or type(params) ~= 'table' or type(params.uri) ~= 'string' then
    return
  end
  local fname = file_of(params.uri)
  for _, bufnr in ipairs(api.nvim_list_bufs()) do
    if api.nvim_buf_is_loaded(bufnr) and api.nvim_buf_get_name(bufnr) == fname then
      local current = vim.lsp.util.buf_versions[bufnr]
      -- lines computed before the server saw the latest edit: the extmarks already drawn have
      -- moved with the text, which is closer to the truth than these line numbers
      if type(params.version) == 'number' and type(current) == 'number' and params.version < current then
        return
      end
      by_file[fname] = params
      M.draw(bufnr, params)
      return
    end
  end
  by_file[fname] = params
end

return M
