-- Probe for a server command that does not exist: opening several covered files gives one
-- warning and no error, and :checkhealth flamelens says what is wrong. Report in $FLAMELENS_REPORT.
local report = { notifications = {}, errors = {} }
vim.notify = function(msg, level)
  table.insert(report.notifications, { msg = tostring(msg), level = level })
end
local ok, err = pcall(function()
  vim.cmd('edit shop/inventory.py')
  vim.cmd('edit shop/report.py')
  report.clients = #require('flamelens').clients()
  vim.cmd('checkhealth flamelens')
  report.health = vim.api.nvim_buf_get_lines(0, 0, -1, false)
end)
if not ok then
  table.insert(report.errors, tostring(err))
end
report.messages = vim.split(vim.fn.execute('messages'), '\n', { trimempty = true })
local out = assert(io.open(assert(os.getenv('FLAMELENS_REPORT')), 'w'))
out:write(vim.fn.json_encode(report))
out:close()
vim.cmd('qa!')
