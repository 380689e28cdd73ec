--- Inlay hints. Neovim 0.10+ draws them natively; 0.7-0.9 neither request nor draw them, so this
--- module requests `textDocument/inlayHint` for the whole buffer and shows each line's hints as
--- end-of-line virtual text (those versions have no inline virtual text).
local M = {}

local api = vim.api

M.ns = api.nvim_create_namespace('flamelens_inlay')

vim.cmd('highlight default link FlamelensHint Comment')

function M.native()
  return vim.fn.has('nvim-0.10') == 1 and type(vim.lsp.inlay_hint) == 'table' and vim.lsp.inlay_hint.enable ~= nil
end

local function label_text(hint)
  if type(hint.label) == 'string' then
    return hint.label
  end
  local parts = {}
  for _, part in ipairs(hint.label or {}) do
    parts[#parts + 1] = part.value
  end
  return table.concat(parts)
end

--- Draws hints as end-of-line virtual text, one extmark per line (several hints on a line are joined).
function M.draw(bufnr, hints)
  api.nvim_buf_clear_namespace(bufnr, M.ns, 0, -1)
  local count = api.nvim_buf_line_count(bufnr)
  local by_line, order = {}, {}
  for _, hint in ipairs(hints) do
    local line = hint.position and hint.position.line
    if type(line) == 'number' and line >= 0 and line < count then
      if not by_line[line] then
        by_line[line] = {}
        order[#order + 1] = line
      end
      local text = label_text(hint)
      by_line[line][#by_line[line] + 1] = (hint.paddingLeft and ' ' or '') .. text .. (hint.paddingRight and ' ' or '')
    end
  end
  for _, line in ipairs(order) do
    -- 'eol' text already starts one cell after the line's end
    api.nvim_buf_set_extmark(bufnr, M.ns, line, 0, {
      virt_text = { { vim.trim(table.concat(by_line[line], ' ')), 'FlamelensHint' } },
      virt_text_pos = 'eol',
      hl_mode = 'combine',
    })
  end
end

--- Requests the buffer's hints and draws them, unless the text changed meanwhile (a newer
--- refresh follows every change).
function M.refresh(bufnr)
  if M.native() or not api.nvim_buf_is_loaded(bufnr) then
    return
  end
  local client = require('flamelens').get_client(bufnr, true)
  if not client then
    return
  end
  local version = vim.lsp.util.buf_versions[bufnr]
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    range = {
      start = { line = 0, character = 0 },
      ['end'] = { line = api.nvim_buf_line_count(bufnr), character = 0 },
    },
  }
  require('flamelens').request(client, 'textDocument/inlayHint', params, function(err, result)
    if err then
      vim.lsp.log.warn('flamelens: inlay hints failed', err)
      return
    end
    if not api.nvim_buf_is_loaded(bufnr) or vim.lsp.util.buf_versions[bufnr] ~= version then
      return
    end
    M.draw(bufnr, result or {})
  end, bufnr)
end

--- `workspace/inlayHint/refresh` before 0.10: every buffer of that client.
function M.refresh_client(client_id)
  for _, bufnr in ipairs(require('flamelens').buffers_of(client_id)) do
    M.refresh(bufnr)
  end
end

--- Neovim 0.10 does not redraw a line whose hints change while the document version stays the
--- same (neovim/neovim#32248): exactly what a refresh after the profile changed delivers. 0.12.4
--- still shows the old hint in the same case (the headless suite, after :Flamelens metric).
--- Enabling hints again starts the buffer from a clean state, and the old hints stay on screen
--- until the new ones arrive.
function M.redraws_stale()
  return M.native()
end

--- `workspace/inlayHint/refresh` on 0.10+: the native refresh plus that clean start.
function M.refresh_native(client_id)
  for _, bufnr in ipairs(require('flamelens').buffers_of(client_id)) do
    local ok, enabled = pcall(vim.lsp.inlay_hint.is_enabled, { bufnr = bufnr })
    if ok and enabled and api.nvim_buf_is_loaded(bufnr) then
      vim.lsp.inlay_hint.enable(true, { bufnr = bufnr })
    end
  end
end

function M.enable(bufnr)
  if not M.native() then
    return M.refresh(bufnr)
  end
  local ok, enabled = pcall(vim.lsp.inlay_hint.is_enabled, { bufnr = bufnr })
  -- enabling again would drop the hints already shown (and flicker)
  if not (ok and enabled) then
    vim.lsp.inlay_hint.enable(true, { bufnr = bufnr })
  end
end

return M
