--- `:checkhealth flamelens`: node, the server, running clients, profiles.
local M = {}

-- 0.7 has require('health').report_*, 0.8 vim.health.report_*, 0.9+ vim.health.start/ok/...
local health = vim.health or require('health')
local start = health.start or health.report_start
local ok = health.ok or health.report_ok
local warn = health.warn or health.report_warn
local error = health.error or health.report_error
local info = health.info or health.report_info

local function check_node(required)
  if vim.fn.executable('node') == 0 then
    return error('node not found on PATH', { 'install Node.js ' .. required .. ' or newer' })
  end
  local version = vim.trim(vim.fn.system({ 'node', '--version' }))
  local major = tonumber(version:match('^v(%d+)'))
  if not major then
    return warn('could not read `node --version`: ' .. version)
  end
  if major < required then
    return error('node ' .. version .. ' is too old', { 'flamelens needs Node.js ' .. required .. ' or newer' })
  end
  ok('node ' .. version)
end

local function check_server(cmd)
  info('server command: ' .. table.concat(cmd, ' '))
  local exe = cmd[1]
  if vim.fn.executable(exe) == 0 then
    return error(exe .. ' is not executable', {
      'build the server in the repository (`npm run build`), put `flamelens` on PATH,',
      "or pass setup({ cmd = { 'node', '/path/to/dist/flamelens.js', '--stdio' } })",
    })
  end
  if vim.fn.fnamemodify(exe, ':t'):match('^node') then
    for _, arg in ipairs(cmd) do
      if arg:match('%.m?c?js$') then
        if vim.fn.filereadable(arg) == 0 then
          return error('server file not found: ' .. arg, { 'run `npm run build` in the repository' })
        end
        return ok('server file: ' .. arg)
      end
    end
  end
  ok('server executable: ' .. vim.fn.exepath(exe))
end

function M.check()
  local flamelens = require('flamelens')
  local cfg = flamelens.config()
  start('flamelens: requirements')
  if vim.fn.has('nvim-0.7') == 0 then
    error('Neovim 0.7 or newer is required')
  end
  check_node(20)
  check_server(cfg.cmd)

  start('flamelens: clients')
  local clients = flamelens.clients()
  if #clients == 0 then
    return warn('no flamelens client is running', {
      'open a file of type ' .. table.concat(cfg.filetypes, ', '),
      'the log is at ' .. ((vim.lsp.log and vim.lsp.log.get_filename) and vim.lsp.log.get_filename() or vim.lsp.get_log_path()),
    })
  end
  for _, client in ipairs(clients) do
    local buffers = flamelens.buffers_of(client.id)
    ok(string.format('client %d, root %s, attached to %d buffer(s)', client.id, client.config.root_dir or '?', #buffers))
  end
  if #clients > 1 then
    -- one project should mean one server: a second one searches its own root for profiles
    warn(string.format('%d flamelens servers are running', #clients), {
      'each searches only its own root for profiles; open files of one project from its top folder,',
      'or set root_markers in setup() if a nested marker splits your project',
    })
  end

  start('flamelens: profiles')
  local profiles = require('flamelens.commands').execute_sync(require('flamelens.commands').ids.listProfiles, {}, 3000)
  if profiles == nil then
    return warn('the server did not answer flamelens.listProfiles')
  end
  if #profiles == 0 then
    return warn('no profile files found in the workspace', { 'see `flamelens.profiles` in docs/configuration.md' })
  end
  for _, p in ipairs(profiles) do
    local text = string.format('%s%s (%s, %d samples)', p.active and 'active: ' or '', p.path, p.format, p.samples)
    if type(p.problem) == 'string' then
      warn(text .. ': ' .. p.problem)
    else
      ok(text)
    end
  end
end

return M
