-- Headless probe for one project with a nested root marker (a repository whose tests/ holds its own
-- pytest.ini, as in Rich), run with `-c 'luafile project.lua'` once shop/inventory.py is open:
-- follows a caller lens into tests/, and reports which servers run, what each buffer shows, the
-- lens order, :Flamelens and :checkhealth. Report in $FLAMELENS_REPORT; waits bounded by
-- $FLAMELENS_WAIT_MS.
local api = vim.api
local WAIT = tonumber(os.getenv('FLAMELENS_WAIT_MS') or '') or 15000
local AUDIT = 14 -- inventory.py:15 `def audit(message):`, 0-based
local RESTOCK = 45 -- inventory.py:46 `def restock(inventory, skus, rounds):`
local CALL = 14 -- tests/test_inventory.py:15 `shipped = inventory.restock(inv, skus, 10)`
local bufnr = api.nvim_get_current_buf()
local report = { errors = {}, notifications = {}, steps = {} }
local flamelens = require('flamelens')
local inlay = require('flamelens.inlay')

vim.notify = function(msg, level)
  table.insert(report.notifications, { msg = tostring(msg), level = level })
end
vim.o.lines = 70
vim.o.columns = 200

local function wait(name, cond)
  local ok = vim.wait(WAIT, function()
    local good, value = pcall(cond)
    return good and value and true or false
  end, 20)
  table.insert(report.steps, { name = name, ok = ok })
  if not ok then
    error('timed out waiting for: ' .. name, 0)
  end
end

local function lens_titles(buf, line)
  local titles = {}
  for _, lens in ipairs(require('flamelens.lens').get(buf)) do
    if lens.range.start.line == line and lens.command then
      titles[#titles + 1] = lens.command.title
    end
  end
  return titles
end

-- what is drawn on screen for the lenses of a line, chunk by chunk
local function lens_drawn(buf, client_id, line)
  local texts = {}
  local ns = require('flamelens.lens').namespace(client_id)
  for _, m in ipairs(api.nvim_buf_get_extmarks(buf, ns, { line, 0 }, { line, -1 }, { details = true })) do
    for _, vl in ipairs(m[4].virt_lines or {}) do
      for _, chunk in ipairs(vl) do
        texts[#texts + 1] = chunk[1]
      end
    end
    for _, chunk in ipairs(m[4].virt_text or {}) do
      texts[#texts + 1] = chunk[1]
    end
  end
  return texts
end

local function hints(buf, line)
  local ns
  if inlay.native() then
    vim.cmd('redraw')
    ns = api.nvim_get_namespaces()['vim_lsp_inlayhint'] or api.nvim_get_namespaces()['nvim.lsp.inlayhint'] or -1
  else
    ns = inlay.ns
  end
  local texts = {}
  for _, m in ipairs(ns >= 0 and api.nvim_buf_get_extmarks(buf, ns, { line, 0 }, { line, -1 }, { details = true }) or {}) do
    for _, c in ipairs(m[4].virt_text or {}) do
      texts[#texts + 1] = c[1]
    end
  end
  return vim.trim(table.concat(texts))
end

local function clients()
  local list = {}
  for _, c in ipairs(flamelens.clients()) do
    list[#list + 1] = { id = c.id, root = c.config.root_dir }
  end
  return list
end

local function run()
  wait('client attached and initialized', function()
    local c = flamelens.get_client(bufnr, true)
    return c and c.initialized
  end)
  wait('status: profile loaded', function()
    local s = flamelens.status
    return s and type(s.profile) == 'string' and not s.loading
  end)
  wait('lenses on audit and restock', function()
    return #lens_titles(bufnr, AUDIT) > 1 and #lens_titles(bufnr, RESTOCK) > 1
  end)
  local first = flamelens.get_client(bufnr, true)
  report.first = { id = first.id, root = first.config.root_dir }
  report.audit = { titles = lens_titles(bufnr, AUDIT), drawn = lens_drawn(bufnr, first.id, AUDIT) }

  -- follow the caller link of restock into tests/ (a folder with its own pytest.ini)
  api.nvim_win_set_cursor(0, { RESTOCK + 1, 0 })
  local original = vim.ui.select
  vim.ui.select = function(items, opts, on_choice)
    vim.ui.select = original
    for _, item in ipairs(items) do
      local title = item.lens and item.lens.command and item.lens.command.title or ''
      if vim.startswith(title, '→') then
        return on_choice(item)
      end
    end
    on_choice(nil)
  end
  vim.lsp.codelens.run()
  wait('the caller link opens tests/test_inventory.py', function()
    return vim.endswith(api.nvim_buf_get_name(0), '/tests/test_inventory.py')
  end)
  local test_buf = api.nvim_get_current_buf()
  report.jump = { file = api.nvim_buf_get_name(0), line = api.nvim_win_get_cursor(0)[1] }
  wait('tests/test_inventory.py is attached to a flamelens client', function()
    return flamelens.get_client(test_buf, true) ~= nil
  end)
  report.test_client = flamelens.get_client(test_buf, true).id
  wait('a hint on the call in tests/test_inventory.py:15', function()
    return hints(test_buf, CALL) ~= ''
  end)
  report.test_hint = hints(test_buf, CALL)
  report.clients = clients()

  -- back in inventory.py: still annotated, and :Flamelens names the profile
  api.nvim_set_current_buf(bufnr)
  vim.cmd('Flamelens')
  report.statusline = flamelens.statusline()

  vim.cmd('checkhealth flamelens')
  report.health = api.nvim_buf_get_lines(0, 0, -1, false)
end

local ok, err = xpcall(run, debug.traceback)
if not ok then
  table.insert(report.errors, tostring(err))
end
-- a client still starting would report its errors once it runs: let every client get there
vim.wait(WAIT, function()
  for _, c in ipairs(flamelens.clients()) do
    if not c.initialized then
      return false
    end
  end
  return true
end, 20)
report.clients = report.clients or clients()
report.messages = vim.split(vim.fn.execute('messages'), '\n', { trimempty = true })
local out = assert(io.open(assert(os.getenv('FLAMELENS_REPORT')), 'w'))
out:write(vim.fn.json_encode(report))
out:close()
vim.cmd('qa!')
