-- flamelens: profiler results as inlay hints, code lenses, hovers and line heat.
-- Starts the server for the filetypes in lsp/flamelens.lua; require('flamelens').setup{} is optional.
if vim.g.loaded_flamelens == 1 then
  return
end
if vim.fn.has('nvim-0.7') == 0 then
  vim.api.nvim_echo({ { 'flamelens needs Neovim 0.7 or newer', 'WarningMsg' } }, true, {})
  return
end
vim.g.loaded_flamelens = 1

local group = vim.api.nvim_create_augroup('flamelens', { clear = true })

vim.api.nvim_create_autocmd('FileType', {
  group = group,
  callback = function(args)
    require('flamelens').attach(args.buf)
  end,
})

-- 0.8+: one place for whatever started the client (this plugin, vim.lsp.enable, lspconfig);
-- 0.7 has no LspAttach and calls on_attach from the client config instead
if vim.fn.has('nvim-0.8') == 1 then
  vim.api.nvim_create_autocmd('LspAttach', {
    group = group,
    callback = function(args)
      local client = vim.lsp.get_client_by_id(args.data.client_id)
      if client and client.name == 'flamelens' then
        require('flamelens').on_attach(client, args.buf)
      end
    end,
  })
end

vim.api.nvim_create_autocmd('ColorScheme', {
  group = group,
  callback = function()
    require('flamelens.heat').define_highlights(false)
    require('flamelens.heat').define_change_highlights()
    require('flamelens.lens').define_highlights()
  end,
})
vim.api.nvim_create_autocmd('OptionSet', {
  group = group,
  pattern = 'background',
  callback = function()
    require('flamelens.heat').define_highlights(true)
  end,
})

-- the custom notifications (flamelens/*) reach these however the client was started
vim.lsp.handlers['flamelens/lineHeat'] = function(...)
  return require('flamelens.heat').on_line_heat(...)
end
vim.lsp.handlers['flamelens/status'] = function(...)
  return require('flamelens').on_status(...)
end

-- what flamelens' lenses run: a menu of callers, a jump to a call site (lua/flamelens/commands.lua)
for _, id in ipairs({ 'flamelens.showCallers', 'flamelens.openCallSite' }) do
  vim.lsp.commands[id] = function(...)
    return require('flamelens.commands').lens_command(...)
  end
end

vim.api.nvim_create_user_command('Flamelens', function(cmd)
  require('flamelens.commands').run(cmd.fargs, cmd.bang)
end, {
  nargs = '*',
  bang = true,
  desc = 'flamelens: profile | metric | scope | toggle | callers | hotspots | incoming | outgoing | baseline | diagnostics | flamegraph',
  complete = function(arglead, cmdline)
    return require('flamelens.commands').complete(arglead, cmdline)
  end,
})
