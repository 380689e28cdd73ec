-- init.lua for the headless Neovim tests: the plugin from this checkout on the runtimepath and
-- nothing else. The server command is the plugin's default (../../dist/flamelens.js from
-- clients/nvim), so the test also covers how the plugin finds a built server.
local plugin = assert(os.getenv('FLAMELENS_PLUGIN'), 'FLAMELENS_PLUGIN is not set')
-- the Python filetype plugin probes for a python3 provider, which can take many seconds (pyenv shims)
for _, provider in ipairs({ 'python3', 'python', 'ruby', 'perl', 'node' }) do
  vim.g['loaded_' .. provider .. '_provider'] = 0
end
vim.o.swapfile = false
vim.o.shadafile = 'NONE'
vim.o.more = false
vim.opt.shortmess:append('I')
vim.opt.runtimepath:prepend(plugin)
vim.lsp.set_log_level('WARN')
require('flamelens').setup({})
