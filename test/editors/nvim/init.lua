-- init.lua for the headless Neovim tests: the plugin from this checkout and nothing else. The server command is the plugin's default (../../dist/flamelens.js from
-- clients/nvim), so the test also covers how the plugin finds a built server.
-- the Python filetype plugin probes for a python3 provider, which can take many seconds (pyenv shims)
for _, provider in ipairs({ 'python3', 'python', 'ruby', 'perl', 'node' }) do
  vim.g['loaded_' .. provider .. '_provider'] = 0
end
vim.o.swapfile = false
vim.o.shadafile = 'NONE'
vim.o.more = false
vim.opt.shortmess:append('I')
-- two ways users install it: a start package (a symlink to clients/nvim, as in the README) or
-- the folder on the runtimepath
local packpath = os.getenv('FLAMELENS_PACKPATH')
if packpath then
  vim.opt.packpath:prepend(packpath)
else
  vim.opt.runtimepath:prepend(assert(os.getenv('FLAMELENS_PLUGIN'), 'FLAMELENS_PLUGIN is not set'))
end
if vim.lsp.log and vim.lsp.log.set_level then -- 0.12 deprecates vim.lsp.set_log_level
  vim.lsp.log.set_level('WARN')
else
  vim.lsp.set_log_level('WARN')
end
-- FLAMELENS_CMD (JSON list) replaces the server command, for the missing-server test
local cmd = os.getenv('FLAMELENS_CMD')
require('flamelens').setup({ cmd = cmd and vim.fn.json_decode(cmd) or nil })
