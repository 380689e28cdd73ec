--- Code lenses. Neovim draws lenses at the end of their line, where flamelens' (cost, callers,
--- caller links) run into the line's inlay hint and get cut at the window edge; 0.10 also reorders
--- the caller links (an unstable sort on the column, which is 0 for all of them), and 0.7 keeps
--- the last lenses on screen when a refresh brings none (after `:Flamelens toggle`). So this module
--- draws flamelens' lenses itself, on a virtual line above the definition, in the server's order,
--- and clears them when there are none. Lenses stay in Neovim's cache (vim.lsp.codelens.get/run
--- work as usual) and in its namespace for the client, so Neovim's own clearing applies too.
local M = {}

local api = vim.api

--- Highlight groups, linked (with `default`, so a colorscheme or the user can override them) to
--- what colorschemes style: LspCodeLens where the colorscheme defines it, else Comment.
function M.define_highlights()
  local function styled(group)
    if vim.fn.hlexists(group) == 0 then
      return false
    end
    local id = vim.fn.synIDtrans(vim.fn.hlID(group))
    return vim.fn.synIDattr(id, 'fg') ~= '' or vim.fn.synIDattr(id, 'fg#') ~= ''
  end
  local lens = styled('LspCodeLens') and 'LspCodeLens' or 'Comment'
  local separator = styled('LspCodeLensSeparator') and 'LspCodeLensSeparator' or 'NonText'
  vim.cmd('highlight default link FlamelensLens ' .. lens)
  vim.cmd('highlight default link FlamelensLensSeparator ' .. separator)
  vim.cmd('highlight default link FlamelensLensCaller FlamelensLens')
end

M.define_highlights()

--- Neovim's namespace for one client's lenses (vim.lsp.codelens names it `vim_lsp_codelens:<id>`;
--- 0.12 draws its own elsewhere, so this one is flamelens' alone there).
function M.namespace(client_id)
  local private = vim.lsp.codelens.__namespaces
  if type(private) == 'table' then
    return private[client_id]
  end
  return api.nvim_create_namespace('vim_lsp_codelens:' .. client_id)
end

local function is_ours(client_id)
  local client = vim.lsp.get_client_by_id(client_id)
  return client ~= nil and client.name == require('flamelens').name
end

--- Display width of a line's leading white space, so that a method's lens lines up with its `def`.
local function indent_of(bufnr, row)
  local line = api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1] or ''
  return vim.fn.strdisplaywidth(line:match('^%s*'))
end

--- Draws lenses as one virtual line above each line that has any, in the order given.
function M.draw(lenses, bufnr, client_id)
  if not api.nvim_buf_is_loaded(bufnr) then
    return
  end
  local ns = M.namespace(client_id)
  api.nvim_buf_clear_namespace(bufnr, ns, 0, -1)
  local by_line, order = {}, {}
  for _, lens in ipairs(lenses or {}) do
    local row = lens.range and lens.range.start and lens.range.start.line
    if type(row) == 'number' then
      if not by_line[row] then
        by_line[row] = {}
        order[#order + 1] = row
      end
      table.insert(by_line[row], lens)
    end
  end
  local count = api.nvim_buf_line_count(bufnr)
  for _, row in ipairs(order) do
    if row >= 0 and row < count then
      local chunks = {}
      for i, lens in ipairs(by_line[row]) do
        local title = (lens.command and lens.command.title or '…'):gsub('%s+', ' ')
        if i > 1 then
          chunks[#chunks + 1] = { ' | ', 'FlamelensLensSeparator' }
        end
        chunks[#chunks + 1] = { title, vim.startswith(title, '→') and 'FlamelensLensCaller' or 'FlamelensLens' }
      end
      local opts = { hl_mode = 'combine' }
      if row == 0 then
        -- a virtual line above the first line only shows once the window scrolls past the top
        opts.virt_text = chunks
      else
        local indent = indent_of(bufnr, row)
        if indent > 0 then
          table.insert(chunks, 1, { string.rep(' ', indent), 'Normal' })
        end
        opts.virt_lines = { chunks }
        opts.virt_lines_above = true
      end
      pcall(api.nvim_buf_set_extmark, bufnr, ns, row, 0, opts)
    end
  end
end

local original_display
--- Routes Neovim's lens display for flamelens clients to M.draw (vim.lsp.codelens.refresh(), run
--- by users' autocmds and after a lens command, goes through it); other servers' lenses keep
--- Neovim's display.
function M.install()
  if original_display then
    return
  end
  original_display = vim.lsp.codelens.display
  vim.lsp.codelens.display = function(lenses, bufnr, client_id)
    if is_ours(client_id) then
      return M.draw(lenses, bufnr, client_id)
    end
    return original_display(lenses, bufnr, client_id)
  end
end

--- Neovim 0.12 replaced the lens machinery (vim.lsp.codelens.enable and a decoration provider);
--- its on_codelens and display are no-ops kept for compatibility, so the lenses are drawn and
--- kept here.
local modern = vim.fn.has('nvim-0.12') == 1
local held = {} -- bufnr -> the lenses last drawn (0.12+)

--- The flamelens lenses of a buffer, as last received.
function M.get(bufnr)
  if modern then
    return held[bufnr] or {}
  end
  return vim.lsp.codelens.get(bufnr)
end

local pending = {} -- bufnr -> true while a request is out, 'again' when another refresh came meanwhile

--- Asks the flamelens client attached to the buffer (and only it: Neovim's refresh asks every
--- client and, on 0.7, reports an error while a client is still starting) for the lenses.
function M.refresh(bufnr)
  local flamelens = require('flamelens')
  if not api.nvim_buf_is_loaded(bufnr) then
    held[bufnr] = nil
    return
  end
  local client = flamelens.get_client(bufnr, true)
  if not client or not client.initialized then
    return
  end
  if pending[bufnr] then
    pending[bufnr] = 'again'
    return
  end
  pending[bufnr] = true
  local params = { textDocument = { uri = vim.uri_from_bufnr(bufnr) } }
  local client_id = client.id
  flamelens.request(client, 'textDocument/codeLens', params, function(err, result, ctx)
    local again = pending[bufnr] == 'again'
    pending[bufnr] = nil
    if not err and modern then
      held[bufnr] = result or {}
      M.draw(held[bufnr], bufnr, client_id)
    elseif not err then
      -- Neovim's handler keeps them for vim.lsp.codelens.get/run and displays them through M.draw
      vim.lsp.codelens.on_codelens(err, result, vim.tbl_extend('force', ctx or {}, { bufnr = bufnr, client_id = client_id }))
    end
    if again then
      M.refresh(bufnr)
    end
  end, bufnr)
end

return M
