--- The hover float, as each Neovim version can render flamelens' markdown. 0.10+ highlights and
--- conceals markdown with tree-sitter: its own handler is used, with a border. 0.7-0.9 show
--- markdown with regex syntax that leaves inline-code backticks and `**` on screen, in the default
--- colorscheme's magenta Pmenu colours: there the markdown is converted to plain text with the
--- lsp.util helpers (code spans and emphasis unwrapped, fences and rules kept as the helpers draw
--- them), shown with a border, and without a colorscheme in the Normal colours.
local M = {}

local has = function(feature)
  return vim.fn.has(feature) == 1
end

--- Text of one markdown line with its inline code and emphasis markers removed (code spans keep
--- their content as is: a name with `*` or `_` in it is shown as recorded).
function M.plain(line)
  local out, i = {}, 1
  while i <= #line do
    local ticks = line:match('^`+', i)
    if ticks then
      local close = line:find(ticks, i + #ticks, true)
      -- a run of backticks without its closing run is literal text
      if close and line:sub(close + #ticks, close + #ticks) ~= '`' then
        local code = line:sub(i + #ticks, close - 1)
        -- CommonMark strips one space on both sides (used to wrap code that starts with a backtick)
        if code:match('^ .* $') and not code:match('^ +$') then
          code = code:sub(2, -2)
        end
        out[#out + 1] = code
        i = close + #ticks
      else
        out[#out + 1] = ticks
        i = i + #ticks
      end
    else
      local j = line:find('`', i, true) or (#line + 1)
      local text = line:sub(i, j - 1)
      text = text:gsub('%*%*(.-)%*%*', '%1'):gsub('__(.-)__', '%1')
      -- backslash escapes of ASCII punctuation, as markdown writers produce for names
      text = text:gsub('\\(%p)', '%1')
      out[#out + 1] = text
      i = j
    end
  end
  return table.concat(out)
end

local border = 'rounded'

--- textDocument/hover handler for flamelens clients (client-level: other servers keep theirs).
function M.handler()
  if has('nvim-0.11') then
    return nil -- 0.11's vim.lsp.buf.hover() renders with tree-sitter and takes its own options
  end
  if has('nvim-0.10') then
    return function(err, result, ctx, config)
      return vim.lsp.handlers.hover(err, result, ctx, vim.tbl_extend('force', { border = border }, config or {}))
    end
  end
  return function(err, result, ctx, config)
    config = vim.tbl_extend('force', { border = border, focus_id = ctx.method }, config or {})
    if err or type(result) ~= 'table' or not result.contents then
      return vim.lsp.handlers.hover(err, result, ctx, config)
    end
    local util = vim.lsp.util
    local lines = util.trim_empty_lines(util.convert_input_to_markdown_lines(result.contents))
    if vim.tbl_isempty(lines) then
      return vim.lsp.handlers.hover(err, result, ctx, config)
    end
    for i, line in ipairs(lines) do
      if not line:match('^%s*```') then
        lines[i] = M.plain(line)
      end
    end
    local bufnr, winnr = util.open_floating_preview(lines, 'markdown', config)
    -- the text is plain now: markdown syntax would flag the `_` inside names as errors (red)
    vim.api.nvim_buf_call(bufnr, function()
      pcall(vim.cmd, 'syntax clear markdownError')
    end)
    if vim.g.colors_name == nil or vim.g.colors_name == 'default' then
      -- the default colorscheme's NormalFloat is Pmenu: magenta on 0.7
      vim.api.nvim_win_set_option(winnr, 'winhighlight', 'NormalFloat:Normal,FloatBorder:FloatBorder')
    end
    return bufnr, winnr
  end
end

return M
