-- flamelens language server: the client configuration as data.
--
-- Neovim 0.11+ reads this file by itself for `vim.lsp.enable('flamelens')`; the plugin
-- (plugin/flamelens.lua) reads it on every version from 0.7 and merges setup() options on top.
--
-- The server is the repository's bundle (clients/nvim/../../dist/flamelens.js, present after
-- `npm run build`) when the plugin runs from a checkout, else a `flamelens` executable on PATH.
local source = debug.getinfo(1, 'S').source
local here = vim.fn.fnamemodify(source:sub(1, 1) == '@' and source:sub(2) or source, ':p:h:h')
-- resolve symlinks: a packpath entry may link to clients/nvim inside a checkout
local plugin_root = (vim.uv or vim.loop).fs_realpath(here) or here
local bundled = vim.fn.simplify(plugin_root .. '/../../dist/flamelens.js')

local cmd
if vim.fn.filereadable(bundled) == 1 then
  cmd = { 'node', bundled, '--stdio' }
else
  cmd = { 'flamelens', '--stdio' }
end

return {
  cmd = cmd,
  -- the languages the supported profilers record: Austin (Python), V8 .cpuprofile and pprof
  -- (JavaScript/TypeScript, Go), perf (C, C++, Rust). The same list as LANGUAGES in
  -- server/src/protocol.ts, which the VS Code client uses (a test compares them).
  filetypes = {
    'python',
    'javascript',
    'typescript',
    'javascriptreact',
    'typescriptreact',
    'c',
    'cpp',
    'go',
    'rust',
  },
  -- Neovim 0.11+ (vim.lsp.enable): one project, one server. The outermost folder holding `.git`
  -- (not the nearest marker, which may be tests/pytest.ini), or the root of a running flamelens
  -- client that contains the file, so that Neovim reuses that client (lua/flamelens/root.lua).
  -- root_markers below are what that search looks for; older versions get the same root from
  -- the plugin.
  root_dir = function(bufnr, on_dir)
    local fname = vim.api.nvim_buf_get_name(bufnr)
    if fname == '' or fname:match('^%a[%w+.-]*://') then
      return
    end
    local ok, flamelens = pcall(require, 'flamelens')
    if ok then
      on_dir(flamelens.find_root(fname))
    end
  end,
  root_markers = {
    '.git',
    'pyproject.toml',
    'setup.py',
    'setup.cfg',
    'pytest.ini',
    'package.json',
    'go.mod',
    'Cargo.toml',
  },
  -- the server sends its own notifications (flamelens/lineHeat, flamelens/status) only to clients
  -- that ask for them (docs/lsp-extensions.md); Neovim 0.11+ merges this into its defaults, and the
  -- plugin does the same on older versions
  capabilities = {
    experimental = { flamelens = { lineHeat = true, status = true } },
  },
  -- every key is optional; see docs/configuration.md. An empty dict (not an empty list) so that
  -- workspace/configuration answers `{}` rather than `[]`.
  settings = {
    flamelens = vim.empty_dict(),
  },
}
