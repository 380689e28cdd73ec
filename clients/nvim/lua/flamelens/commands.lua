--- `:Flamelens profile|metric|scope|toggle|callers|hotspots|incoming|outgoing|baseline|diagnostics|flamegraph`:
--- each forwards to the server's workspace/executeCommand (ids in server/src/protocol.ts) or asks
--- the flamelens client alone for a standard request. Without an argument, the list* command fills
--- a vim.ui.select menu. The server sends inlayHint/codeLens refresh requests after a change.
local M = {}

local api = vim.api

local Commands = {
  listProfiles = 'flamelens.listProfiles',
  selectProfile = 'flamelens.selectProfile',
  listMetrics = 'flamelens.listMetrics',
  selectMetric = 'flamelens.selectMetric',
  listScopes = 'flamelens.listScopes',
  setScope = 'flamelens.setScope',
  toggle = 'flamelens.toggle',
  showCallers = 'flamelens.showCallers',
  openCallSite = 'flamelens.openCallSite',
  hotspots = 'flamelens.hotspots',
  selectBaseline = 'flamelens.selectBaseline',
  openFlameGraph = 'flamelens.openFlameGraph',
}
M.ids = Commands

local function notify(msg, level)
  vim.notify('flamelens: ' .. msg, level or vim.log.levels.INFO)
end

local function is_null(v)
  return v == nil or v == vim.NIL
end

--- Runs a server command; `on_result(result)` gets the result (errors are reported here).
function M.execute(command, arguments, on_result)
  local bufnr = api.nvim_get_current_buf()
  local client = require('flamelens').get_client(bufnr)
  if not client then
    return notify('the server is not running (open a file it covers, or see :checkhealth flamelens)', vim.log.levels.WARN)
  end
  local params = { command = command, arguments = arguments or {} }
  require('flamelens').request(client, 'workspace/executeCommand', params, function(err, result)
    if err then
      return notify(command .. ' failed: ' .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
    end
    if on_result then
      on_result(result)
    end
  end, bufnr)
end

--- Synchronous variant for completion and :checkhealth; nil when it fails or times out.
function M.execute_sync(command, arguments, timeout_ms)
  local client = require('flamelens').get_client(0)
  if not client then
    return nil
  end
  local params = { command = command, arguments = arguments or {} }
  local response = require('flamelens').request_sync(client, 'workspace/executeCommand', params, timeout_ms or 1000, 0)
  if not response or response.err then
    return nil
  end
  return response.result
end

local function select(items, prompt, format_item, on_choice)
  if is_null(items) or #items == 0 then
    return notify('nothing to choose from', vim.log.levels.WARN)
  end
  vim.ui.select(items, { prompt = prompt, format_item = format_item }, function(choice)
    if choice then
      on_choice(choice)
    end
  end)
end

local function active_mark(item)
  return item.active and '* ' or '  '
end

local function profile_label(p)
  local text = active_mark(p) .. vim.fn.fnamemodify(p.path, ':~:.') .. '  (' .. p.format .. ', ' .. p.samples .. ' samples'
  if p.loading then
    text = text .. ', loading'
  end
  if type(p.problem) == 'string' then
    text = text .. ', ' .. p.problem
  end
  return text .. ')'
end

local function report(what)
  return function(result)
    if is_null(result) then
      return notify(what .. ': unchanged', vim.log.levels.WARN)
    end
    notify(what .. ': ' .. (result.label or (result.path and vim.fn.fnamemodify(result.path, ':~:.')) or tostring(result)))
  end
end

function M.profile(arg)
  if arg then
    local path = vim.fn.fnamemodify(arg, ':p')
    return M.execute(Commands.selectProfile, { vim.uri_from_fname(path) }, report('profile'))
  end
  M.execute(Commands.listProfiles, {}, function(profiles)
    select(profiles, 'flamelens profile', profile_label, function(p)
      M.execute(Commands.selectProfile, { p.uri }, report('profile'))
    end)
  end)
end

function M.metric(arg)
  if arg then
    return M.execute(Commands.selectMetric, { arg }, report('metric'))
  end
  M.execute(Commands.listMetrics, {}, function(metrics)
    select(metrics, 'flamelens metric', function(m)
      return active_mark(m) .. m.key .. '  (' .. m.label .. ', ' .. m.unit .. ')'
    end, function(m)
      M.execute(Commands.selectMetric, { m.key }, report('metric'))
    end)
  end)
end

local function scope_arg(scope)
  -- "all samples" is null for the server; a ScopeArg otherwise
  if is_null(scope.pid) and is_null(scope.thread) then
    return vim.NIL
  end
  return { pid = not is_null(scope.pid) and scope.pid or nil, thread = not is_null(scope.thread) and scope.thread or nil }
end

--- `:Flamelens scope` [all | label as listed | pid=<pid> | thread=<index>]
function M.scope(arg)
  if arg == 'all' then
    return M.execute(Commands.setScope, { vim.NIL }, report('scope'))
  end
  M.execute(Commands.listScopes, {}, function(scopes)
    if not arg then
      return select(scopes, 'flamelens scope', function(s)
        return active_mark(s) .. s.label
      end, function(s)
        M.execute(Commands.setScope, { scope_arg(s) }, report('scope'))
      end)
    end
    local key, value = arg:match('^(%a+)=(.+)$')
    for _, s in ipairs(is_null(scopes) and {} or scopes) do
      local match = s.label == arg
        or (key == 'pid' and tostring(s.pid) == value and is_null(s.thread))
        or (key == 'thread' and tostring(s.thread) == value)
      if match then
        return M.execute(Commands.setScope, { scope_arg(s) }, report('scope'))
      end
    end
    notify('no scope ' .. arg .. ' (see :Flamelens scope)', vim.log.levels.WARN)
  end)
end

function M.toggle(arg)
  local args = {}
  if arg == 'on' then
    args = { true }
  elseif arg == 'off' then
    args = { false }
  end
  M.execute(Commands.toggle, args, function(enabled)
    notify('annotations ' .. (enabled and 'on' or 'off'))
  end)
end

--- Callers of the function under the cursor, into the quickfix list.
function M.callers()
  local client = require('flamelens').get_client(0)
  local encoding = client and client.offset_encoding or 'utf-16'
  local pos = vim.lsp.util.make_position_params(0, encoding)
  M.execute(Commands.showCallers, { pos.textDocument.uri, pos.position }, function(result)
    if is_null(result) or #result.callers == 0 then
      return notify('no callers recorded here', vim.log.levels.WARN)
    end
    local items = {}
    for _, c in ipairs(result.callers) do
      local text = string.format('%s  %.1f%%  %s', c.name, c.percent, c.value)
      if is_null(c.uri) then
        items[#items + 1] = { text = text .. '  (not in the workspace)', valid = 0 }
      else
        items[#items + 1] = { filename = vim.uri_to_fname(c.uri), lnum = c.line + 1, col = 1, text = text }
      end
    end
    if type(result.more) == 'number' and result.more > 0 then
      items[#items + 1] = { text = string.format('(%d more call sites not listed)', result.more), valid = 0 }
    end
    vim.fn.setqflist({}, ' ', { title = 'flamelens: callers of ' .. result['function'], items = items })
    vim.cmd('copen')
  end)
end

--- Jumps to a place (a normal jump: the jump list brings you back).
local function jump(uri, line, encoding)
  local location = {
    uri = uri,
    range = { start = { line = line, character = 0 }, ['end'] = { line = line, character = 0 } },
  }
  if vim.fn.has('nvim-0.11') == 1 then
    return vim.lsp.util.show_document(location, encoding or 'utf-16', { focus = true })
  end
  return vim.lsp.util.jump_to_location(location, encoding or 'utf-16')
end

local function short_path(uri)
  local ok, fname = pcall(vim.uri_to_fname, uri)
  return vim.fn.fnamemodify(ok and fname or uri, ':~:.')
end

--- A menu of the callers of the function at a position (caller, share, value, place); the chosen
--- call site opens. What a function's lens does: the server's own fallback for lenses
--- (window/showMessageRequest) is a numbered prompt with truncated names on Neovim.
function M.pick_callers(client, uri, position, bufnr)
  local params = { command = Commands.showCallers, arguments = { uri, position } }
  require('flamelens').request(client, 'workspace/executeCommand', params, function(err, result)
    if err then
      return notify('callers failed: ' .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
    end
    if is_null(result) or #result.callers == 0 then
      return notify('no callers recorded here', vim.log.levels.WARN)
    end
    local places = vim.tbl_filter(function(c)
      return not is_null(c.uri)
    end, result.callers)
    if #places == 0 then
      return notify('the callers of ' .. result['function'] .. ' are not in the workspace', vim.log.levels.WARN)
    end
    vim.ui.select(places, {
      prompt = 'flamelens: callers of ' .. result['function']
        .. ((type(result.more) == 'number' and result.more > 0) and string.format(' (%d more not listed)', result.more) or ''),
      kind = 'flamelens.callers',
      format_item = function(c)
        return string.format('%s  %.1f%%  %s  %s:%d', c.name, c.percent, c.value, short_path(c.uri), c.line + 1)
      end,
    }, function(c)
      if c then
        jump(c.uri, c.line, client.offset_encoding)
      end
    end)
  end, bufnr)
end

--- `:Flamelens hotspots [query]`: the active profile's functions ranked as the server ranks its
--- workspace symbols (your own code first), each at the line where it begins, in the quickfix list
--- (`:cc N` opens one, also in a file that is not open). With `!`, a vim.ui.select menu instead.
function M.hotspots(arg, bang)
  local client = require('flamelens').get_client(0)
  local encoding = client and client.offset_encoding or 'utf-16'
  local options = arg and { query = arg } or vim.empty_dict()
  M.execute(Commands.hotspots, { options }, function(result)
    if is_null(result) or #result.items == 0 then
      return notify('no hotspots (no profile with samples yet, or annotations are off)', vim.log.levels.WARN)
    end
    if bang then
      return vim.ui.select(result.items, {
        prompt = 'flamelens hotspots',
        kind = 'flamelens.hotspots',
        format_item = function(h)
          return string.format('%s  %s:%d', h.label, h.file, h.line + 1)
        end,
      }, function(h)
        if h then
          jump(h.uri, h.line, encoding)
        end
      end)
    end
    local items = {}
    for _, h in ipairs(result.items) do
      items[#items + 1] = { filename = vim.uri_to_fname(h.uri), lnum = h.line + 1, col = 1, text = h.label }
    end
    vim.fn.setqflist({}, ' ', { title = 'flamelens hotspots', items = items })
    vim.cmd('copen')
  end)
end

--- `:Flamelens incoming` / `:Flamelens outgoing`: the call hierarchy of the function under the cursor
--- from flamelens alone (vim.lsp.buf.incoming_calls() asks every server, and the last answer fills
--- the list), one quickfix line per call site with its share. Outgoing call sites are in the
--- function's own file (LSP's fromRanges are relative to the caller).
local function calls(direction)
  local flamelens = require('flamelens')
  local bufnr = api.nvim_get_current_buf()
  local client = flamelens.get_client(bufnr, true)
  if not client then
    return notify('flamelens is not attached to this buffer', vim.log.levels.WARN)
  end
  local params = vim.lsp.util.make_position_params(0, client.offset_encoding)
  flamelens.request(client, 'textDocument/prepareCallHierarchy', params, function(err, items)
    if err or is_null(items) or #items == 0 then
      return notify('no function with samples here', vim.log.levels.WARN)
    end
    local item = items[1]
    local method = direction == 'incoming' and 'callHierarchy/incomingCalls' or 'callHierarchy/outgoingCalls'
    flamelens.request(client, method, { item = item }, function(err2, result)
      if err2 then
        return notify(method .. ' failed: ' .. (err2.message or vim.inspect(err2)), vim.log.levels.ERROR)
      end
      if is_null(result) or #result == 0 then
        return notify('no ' .. direction .. ' calls recorded for ' .. item.name, vim.log.levels.WARN)
      end
      local qf = {}
      for _, call in ipairs(result) do
        local other = direction == 'incoming' and call.from or call.to
        local text = other.name .. (type(other.detail) == 'string' and ('  ' .. other.detail) or '')
        local site_uri = direction == 'incoming' and other.uri or item.uri
        if #call.fromRanges == 0 then
          qf[#qf + 1] = { filename = vim.uri_to_fname(other.uri), lnum = other.range.start.line + 1, col = 1, text = text .. '  (call site not placed)' }
        end
        for _, range in ipairs(call.fromRanges) do
          qf[#qf + 1] = { filename = vim.uri_to_fname(site_uri), lnum = range.start.line + 1, col = range.start.character + 1, text = text }
        end
      end
      vim.fn.setqflist({}, ' ', { title = 'flamelens: ' .. direction .. ' calls of ' .. item.name, items = qf })
      vim.cmd('copen')
    end, bufnr)
  end, bufnr)
end

function M.incoming()
  calls('incoming')
end

function M.outgoing()
  calls('outgoing')
end

local function report_baseline(result)
  if is_null(result) then
    return notify('baseline: unchanged', vim.log.levels.WARN)
  end
  if type(result.problem) == 'string' then
    return notify('no comparison: ' .. result.problem, vim.log.levels.WARN)
  end
  if type(result.comparison) == 'string' then
    -- `after.austin vs before.austin`; the rest (how, and whether the totals differ) in `:Flamelens`,
    -- a line too long for the command line would stop at a hit-enter prompt
    return notify('comparing ' .. (result.comparison:match('^(.-): ') or result.comparison) .. ' (:Flamelens says how)')
  end
  if result.choice == 'none' then
    return notify('baseline: none')
  end
  notify('baseline: ' .. (type(result.path) == 'string' and vim.fn.fnamemodify(result.path, ':~:.') or result.choice))
end

--- `:Flamelens baseline [file | previous | none]`: the profile to compare with (a menu of None, the
--- previous profile of the same kind and the workspace's other profiles without an argument).
function M.baseline(arg)
  if arg then
    local choice = arg
    if arg ~= 'none' and arg ~= 'previous' then
      -- a file here, else a path the server resolves against the workspace folder
      local full = vim.fn.fnamemodify(arg, ':p')
      choice = vim.fn.filereadable(full) == 1 and full or arg
    end
    return M.execute(Commands.selectBaseline, { choice }, report_baseline)
  end
  M.execute(Commands.listProfiles, {}, function(profiles)
    local current = require('flamelens').status
    current = current and type(current.baseline) == 'string' and current.baseline or nil
    local items = {
      { label = (current and '  ' or '* ') .. 'None (no comparison)', value = 'none' },
      { label = '  The previous profile of this kind', value = 'previous' },
    }
    for _, p in ipairs(is_null(profiles) and {} or profiles) do
      if not p.active then
        local mark = p.path == current and '* ' or '  '
        items[#items + 1] = { label = mark .. vim.fn.fnamemodify(p.path, ':~:.') .. '  (' .. p.format .. ', ' .. p.samples .. ' samples)', value = p.path }
      end
    end
    select(items, 'flamelens baseline', function(i)
      return i.label
    end, function(i)
      M.execute(Commands.selectBaseline, { i.value }, report_baseline)
    end)
  end)
end

--- `:Flamelens diagnostics [on|off]`: the profile's hot lines as diagnostics (flamelens.diagnostics
--- .enabled in the settings), for every flamelens client; flips without an argument.
function M.diagnostics(arg)
  local flamelens = require('flamelens')
  local clients = flamelens.clients()
  if #clients == 0 then
    return notify('the server is not running', vim.log.levels.WARN)
  end
  local function current(settings)
    local d = type(settings.flamelens) == 'table' and settings.flamelens.diagnostics
    return type(d) == 'table' and d.enabled == true
  end
  -- what workspace/configuration answers from: client.settings on 0.11+ (the documented field),
  -- client.config.settings before
  local function settings_of(client)
    if type(client.settings) == 'table' then
      return client.settings
    end
    client.config.settings = client.config.settings or {}
    return client.config.settings
  end
  local on
  if arg == 'on' or arg == 'off' then
    on = arg == 'on'
  else
    on = not current(settings_of(clients[1]))
  end
  local function set(settings)
    settings.flamelens = type(settings.flamelens) == 'table' and settings.flamelens or vim.empty_dict()
    local d = type(settings.flamelens.diagnostics) == 'table' and settings.flamelens.diagnostics or {}
    d.enabled = on
    settings.flamelens.diagnostics = d
  end
  -- servers started later get it too
  set(flamelens.config().settings)
  for _, client in ipairs(clients) do
    local settings = settings_of(client)
    set(settings)
    if settings ~= client.config.settings and type(client.config.settings) == 'table' then
      set(client.config.settings)
    end
    -- the server pulls `flamelens` again (workspace/configuration), which answers from these settings
    flamelens.notify(client, 'workspace/didChangeConfiguration', { settings = settings })
  end
  notify('hot-line diagnostics ' .. (on and 'on' or 'off') .. (on and ' (:lua vim.diagnostic.setqflist())' or ''))
end

--- Opens a URL in the system's browser: vim.ui.open on 0.10+, else the platform's opener.
local function open_url(url)
  if vim.ui.open then
    local ok, cmd, err = pcall(vim.ui.open, url)
    if not ok or err then
      notify('could not open a browser: ' .. tostring(ok and err or cmd) .. '; open the URL yourself', vim.log.levels.WARN)
    end
    return
  end
  local opener = vim.fn.has('mac') == 1 and 'open' or 'xdg-open'
  if vim.fn.executable(opener) == 0 then
    return notify('no ' .. opener .. ' to open a browser with: open the URL yourself', vim.log.levels.WARN)
  end
  vim.fn.jobstart({ opener, url }, { detach = true })
end

--- `:Flamelens flamegraph [here]`: starts the server's flame graph page, prints its URL and opens it
--- in the browser (setup option `browser`: false to only print it, or a function(url)). With `here`,
--- the page opens on the sandwich of the function under the cursor (its callers and callees).
function M.flamegraph(arg)
  local args = { open = false }
  if arg == 'here' then
    args.uri = vim.uri_from_bufnr(0)
    args.line = api.nvim_win_get_cursor(0)[1] - 1
  elseif arg then
    return notify('flamegraph takes no argument but `here`', vim.log.levels.ERROR)
  end
  M.execute(Commands.openFlameGraph, { args }, function(result)
    if is_null(result) or type(result.url) ~= 'string' then
      return notify('the flame graph could not be started (see :LspLog)', vim.log.levels.WARN)
    end
    notify('flame graph: ' .. result.url)
    local browser = require('flamelens').options().browser
    if type(browser) == 'function' then
      browser(result.url)
    elseif browser ~= false then
      open_url(result.url)
    end
  end)
end

--- `vim.lsp.commands` entries for the commands flamelens' lenses carry (Neovim runs these instead
--- of sending workspace/executeCommand): a function's lens (showCallers with `{ pick = true }`)
--- opens the callers menu, a caller link (openCallSite) jumps here rather than through the
--- server's window/showDocument. Anything else goes to the server as usual.
function M.lens_command(command, ctx)
  local client = ctx and vim.lsp.get_client_by_id(ctx.client_id) or require('flamelens').get_client(0)
  if not client then
    return notify('the server is not running', vim.log.levels.WARN)
  end
  local args = command.arguments or {}
  if command.command == Commands.showCallers and type(args[3]) == 'table' and args[3].pick == true then
    return M.pick_callers(client, args[1], args[2], ctx and ctx.bufnr)
  end
  if command.command == Commands.openCallSite and type(args[1]) == 'string' and type(args[2]) == 'number' then
    return jump(args[1], args[2], client.offset_encoding)
  end
  local params = { command = command.command, arguments = args }
  require('flamelens').request(client, 'workspace/executeCommand', params, function(err)
    if err then
      notify(command.command .. ' failed: ' .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
    end
  end, ctx and ctx.bufnr)
end

M.subcommands = { 'profile', 'metric', 'scope', 'toggle', 'callers', 'hotspots', 'incoming', 'outgoing', 'baseline', 'diagnostics', 'flamegraph' }

--- Entry point of :Flamelens (fargs as given; bang for `:Flamelens! hotspots`, which can also be
--- written `:Flamelens hotspots!`).
function M.run(fargs, bang)
  local sub, arg = fargs[1], fargs[2]
  if sub and sub:sub(-1) == '!' then
    sub, bang = sub:sub(1, -2), true
  end
  if not sub then
    local text = require('flamelens').statusline()
    local s = require('flamelens').status
    if s and type(s.comparison) == 'string' then
      text = text .. '; compared: ' .. s.comparison
    elseif s and type(s.baselineProblem) == 'string' then
      text = text .. '; baseline: ' .. s.baselineProblem
    end
    return notify(text ~= '' and text:gsub('^flamelens: ', '') or 'no active profile')
  end
  if not M[sub] or not vim.tbl_contains(M.subcommands, sub) then
    return notify('unknown subcommand ' .. sub .. ' (' .. table.concat(M.subcommands, ', ') .. ')', vim.log.levels.ERROR)
  end
  M[sub](arg, bang)
end

function M.complete(arglead, cmdline)
  local words = vim.split(cmdline, '%s+', { trimempty = false })
  local function matching(list)
    return vim.tbl_filter(function(w)
      return vim.startswith(w, arglead)
    end, list)
  end
  if #words <= 2 then
    return matching(M.subcommands)
  end
  local sub = words[2]
  if sub == 'toggle' or sub == 'diagnostics' then
    return matching({ 'on', 'off' })
  elseif sub == 'flamegraph' then
    return matching({ 'here' })
  elseif sub == 'baseline' then
    return vim.list_extend(matching({ 'none', 'previous' }), vim.fn.getcompletion(arglead, 'file'))
  elseif sub == 'metric' then
    local keys = {}
    for _, m in ipairs(M.execute_sync(Commands.listMetrics) or {}) do
      keys[#keys + 1] = m.key
    end
    return matching(keys)
  elseif sub == 'scope' then
    local list = { 'all' }
    for _, s in ipairs(M.execute_sync(Commands.listScopes) or {}) do
      if not is_null(s.thread) then
        list[#list + 1] = 'thread=' .. s.thread
      elseif not is_null(s.pid) then
        list[#list + 1] = 'pid=' .. s.pid
      end
    end
    return matching(list)
  elseif sub == 'profile' then
    return vim.fn.getcompletion(arglead, 'file')
  end
  return {}
end

return M
