-- Headless probe, run with `-c 'luafile probe.lua'` once shop/pricing.py is open: waits for what
-- Neovim displays (extmarks, vim.lsp.inlay_hint.get(), code lenses, the hover float, the quickfix
-- list), drives :Flamelens, and writes a JSON report to $FLAMELENS_REPORT for the vitest side.
-- Every wait is vim.wait on a condition, bounded by $FLAMELENS_WAIT_MS.
local api = vim.api
local WAIT = tonumber(os.getenv('FLAMELENS_WAIT_MS') or '') or 15000
local HOT = 27 -- pricing.py:28 `total += item.unit_price * factor`, 0-based
local DEF = 24 -- pricing.py:25 `def line_total(item, factor):`
local bufnr = api.nvim_get_current_buf()
-- what the test computed from the recording, as displayed text ("14.1%"): the probe waits until
-- Neovim shows it, since a profile shows partial numbers while it is still loading
local EXPECT = vim.fn.json_decode(os.getenv('FLAMELENS_EXPECT') or '{}')
local started = vim.loop.hrtime()
local v = vim.version()

local report = {
  nvim = string.format('%d.%d.%d', v.major, v.minor, v.patch),
  file = api.nvim_buf_get_name(bufnr),
  steps = {},
  notifications = {},
  errors = {},
}

-- keep what :Flamelens says to the user (and anything else that notifies)
vim.notify = function(msg, level)
  table.insert(report.notifications, { msg = tostring(msg), level = level })
end

local function ms()
  return math.floor((vim.loop.hrtime() - started) / 1e6)
end

local function step(name, ok)
  table.insert(report.steps, { name = name, ok = ok and true or false, at_ms = ms() })
  return ok
end

local display -- defined below, used by wait() to show what was on screen at a timeout
local signs_on -- defined below

local function wait(name, cond)
  local ok = vim.wait(WAIT, function()
    local good, value = pcall(cond)
    return good and value and true or false
  end, 20)
  step(name, ok)
  -- later steps build on this one: stop here rather than wait out every later timeout
  if not ok then
    local shown, snapshot = pcall(function()
      return display()
    end)
    report.at_failure = shown and snapshot or tostring(snapshot)
    error('timed out waiting for: ' .. name, 0)
  end
  return ok
end

-- every flamelens/lineHeat notification, with the buffer's version when it arrived
report.heat_log = {}
local on_heat = vim.lsp.handlers['flamelens/lineHeat']
vim.lsp.handlers['flamelens/lineHeat'] = function(err, params, ctx, config)
  local line28
  for _, l in ipairs(params and params.lines or {}) do
    if l.percent == l.percent and l.line >= 20 and l.line <= 35 and l.percent > 10 then
      line28 = l.line
    end
  end
  table.insert(report.heat_log, {
    at_ms = ms(),
    version = params and params.version or vim.NIL,
    buffer_version = vim.lsp.util.buf_versions[bufnr] or vim.NIL,
    lines = params and params.lines and #params.lines or 0,
    hot_line = line28 or vim.NIL,
  })
  return on_heat(err, params, ctx, config)
end

local flamelens = require('flamelens')
local inlay = require('flamelens.inlay')
local heat = require('flamelens.heat')

local function client()
  return flamelens.get_client(bufnr, true)
end

-- A window tall enough to show all of pricing.py: what is drawn is what is on screen.
vim.o.lines = 70
vim.o.columns = 200

-- The namespace the hints are drawn in: ours before 0.10; on 0.10+ Neovim's own, filled by a
-- decoration provider when the window is redrawn (which a UI does all the time and the probe does
-- before every look, so that hints held in memory but never drawn count as missing).
local function hint_ns()
  if inlay.native() then
    vim.cmd('redraw')
    local spaces = api.nvim_get_namespaces()
    return spaces['vim_lsp_inlayhint'] or spaces['nvim.lsp.inlayhint'] or -1 -- renamed in 0.12
  end
  return inlay.ns
end

local function hint_marks(from, to)
  local ns = hint_ns()
  if ns < 0 then
    return {}
  end
  local marks = {}
  for _, m in ipairs(api.nvim_buf_get_extmarks(bufnr, ns, from, to, { details = true })) do
    local chunks = {}
    for _, c in ipairs(m[4].virt_text or {}) do
      chunks[#chunks + 1] = c[1]
    end
    marks[#marks + 1] = { line = m[2], text = vim.trim(table.concat(chunks)) }
  end
  return marks
end

-- What is displayed as inlay hints on a line.
local function hints_on(line)
  local texts = {}
  for _, m in ipairs(hint_marks({ line, 0 }, { line, -1 })) do
    texts[#texts + 1] = m.text
  end
  return table.concat(texts, ' | ')
end

local function all_hint_lines()
  local lines = {}
  for _, m in ipairs(hint_marks(0, -1)) do
    lines[#lines + 1] = m.line
  end
  table.sort(lines)
  return lines
end

-- 0.10+: the hints Neovim holds for the buffer (vim.lsp.inlay_hint.get()), drawn or not
local function native_hints_on(line)
  local texts = {}
  for _, h in ipairs(inlay.native() and vim.lsp.inlay_hint.get({ bufnr = bufnr }) or {}) do
    local hint = h.inlay_hint
    if hint.position.line == line then
      local label = hint.label
      if type(label) == 'table' then
        local parts = {}
        for _, p in ipairs(label) do
          parts[#parts + 1] = p.value
        end
        label = table.concat(parts)
      end
      texts[#texts + 1] = label
    end
  end
  return table.concat(texts, ' | ')
end

local function lenses_on(line)
  local titles = {}
  for _, lens in ipairs(require('flamelens.lens').get(bufnr)) do
    if lens.range.start.line == line and lens.command and lens.command.title then
      titles[#titles + 1] = lens.command.title
    end
  end
  return titles
end

-- What is drawn for the lenses of a line: one extmark in Neovim's namespace for the client, with a
-- virtual line above (lines) or end-of-line text (eol); chunk texts and highlight groups.
local function lens_display(line)
  local c = client()
  if not c then
    return {}
  end
  local ns = require('flamelens.lens').namespace(c.id)
  local shown = {}
  for _, m in ipairs(api.nvim_buf_get_extmarks(bufnr, ns, { line, 0 }, { line, -1 }, { details = true })) do
    local d = m[4]
    local entry = { above = d.virt_lines_above == true, chunks = {}, groups = {}, eol = '' }
    for _, vl in ipairs(d.virt_lines or {}) do
      for _, chunk in ipairs(vl) do
        table.insert(entry.chunks, chunk[1])
        table.insert(entry.groups, chunk[2] or '')
      end
    end
    for _, chunk in ipairs(d.virt_text or {}) do
      entry.eol = entry.eol .. chunk[1]
    end
    table.insert(shown, entry)
  end
  return shown
end

local function lens_marks_in_buffer()
  local c = client()
  if not c then
    return 0
  end
  return #api.nvim_buf_get_extmarks(bufnr, require('flamelens.lens').namespace(c.id), 0, -1, {})
end

local function heat_on(line)
  local groups = {}
  for _, m in ipairs(api.nvim_buf_get_extmarks(bufnr, heat.ns, { line, 0 }, { line, -1 }, { details = true })) do
    groups[#groups + 1] = m[4].hl_group
  end
  return groups
end

-- the change signs drawn on a line (text and group), with a baseline
-- (0.7 reports no sign fields in extmark details: there the group is '?', the text read from the screen)
signs_on = function(line)
  local found = {}
  for _, m in ipairs(api.nvim_buf_get_extmarks(bufnr, heat.ns, { line, 0 }, { line, -1 }, { details = true })) do
    if m[4].sign_text then
      found[#found + 1] = vim.trim(m[4].sign_text) .. ' ' .. (m[4].sign_hl_group or '')
    end
  end
  if vim.fn.has('nvim-0.10') == 0 then
    vim.cmd('redraw')
    local at = vim.fn.screenpos(0, line + 1, 1)
    local cell = at.row > 0 and vim.trim(vim.fn.screenstring(at.row, 1)) or ''
    return cell ~= '' and (cell .. ' ?') or ''
  end
  return table.concat(found, ', ')
end

local function heat_percent(line)
  for _, item in ipairs(heat.get(bufnr)) do
    if item.line == line then
      return item.percent
    end
  end
  return nil
end

local function float_info(win)
  local cfg = api.nvim_win_get_config(win)
  return {
    border = cfg.border ~= nil and cfg.border ~= vim.NIL and #cfg.border > 0,
    winhighlight = vim.wo[win].winhighlight,
  }
end

local function floats()
  local found = {}
  for _, w in ipairs(api.nvim_list_wins()) do
    if api.nvim_win_get_config(w).relative ~= '' then
      found[#found + 1] = w
    end
  end
  return found
end

local function hover_lines(line, col)
  api.nvim_win_set_cursor(0, { line + 1, col })
  vim.lsp.buf.hover()
  local win
  wait('hover float on line ' .. (line + 1), function()
    win = floats()[1]
    return win ~= nil
  end)
  if not win then
    return {}
  end
  local lines = api.nvim_buf_get_lines(api.nvim_win_get_buf(win), 0, -1, false)
  report.hover_float = float_info(win)
  api.nvim_win_close(win, true)
  return lines
end

function display()
  return {
    hint = hints_on(HOT),
    hint_held = native_hints_on(HOT),
    heat = heat_on(HOT),
    heat_percent = heat_percent(HOT),
    lenses = lenses_on(DEF),
  }
end

-- vim.ui.select stand-in for the next menu: records what is offered and picks the first match
local offered
local function choose(pick)
  offered = nil
  local original = vim.ui.select
  vim.ui.select = function(items, opts, on_choice)
    vim.ui.select = original
    offered = { prompt = opts.prompt, items = items, labels = vim.tbl_map(opts.format_item or tostring, items) }
    for _, item in ipairs(items) do
      if pick(item) then
        return on_choice(item)
      end
    end
    on_choice(nil)
  end
end

-- the same for several menus in a row (a lens menu, then the callers menu)
local function choose_each(picks)
  offered = {}
  local original = vim.ui.select
  local n = 0
  vim.ui.select = function(items, opts, on_choice)
    n = n + 1
    if n >= #picks then
      vim.ui.select = original
    end
    table.insert(offered, { prompt = opts.prompt, labels = vim.tbl_map(opts.format_item or tostring, items) })
    for _, item in ipairs(items) do
      if picks[n](item) then
        return on_choice(item)
      end
    end
    on_choice(nil)
  end
end

local function run()
  wait('client attached and initialized', function()
    local c = client()
    return c and c.initialized
  end)
  local c = client()
  report.client = c and { name = c.name, cmd = c.config.cmd, root_dir = c.config.root_dir } or vim.NIL

  wait('status: profile loaded', function()
    local s = flamelens.status
    return s and type(s.profile) == 'string' and not s.loading
  end)
  wait('inlay hint on line 28 shows ' .. EXPECT.hint_cpu, function()
    return hints_on(HOT):find(EXPECT.hint_cpu, 1, true) ~= nil
  end)
  wait('code lens on line_total shows ' .. EXPECT.lens_cpu, function()
    return table.concat(lenses_on(DEF), '\n'):find(EXPECT.lens_cpu, 1, true) ~= nil
  end)
  wait('line heat on line 28 at ' .. EXPECT.percent_cpu .. '%', function()
    return #heat_on(HOT) > 0 and math.abs(heat_percent(HOT) - EXPECT.percent_cpu) < 0.1
  end)
  report.initial = display()
  report.initial.lens_display = lens_display(DEF)
  report.initial.lens_titles = lenses_on(DEF)
  report.initial.hint_lines = all_hint_lines()
  report.filetypes = flamelens.config().filetypes
  -- the root lsp/flamelens.lua gives vim.lsp.enable (0.11+) for this buffer: the running client's
  local spec = dofile(flamelens.plugin_root .. '/lsp/flamelens.lua')
  spec.root_dir(bufnr, function(root)
    report.enable_root = root
  end)

  -- line heat: every line drawn at the step the server sent (its level, else heat in quarters)
  report.heat_steps = {}
  for _, item in ipairs(heat.get(bufnr)) do
    table.insert(report.heat_steps, { sent = item, drawn = heat_on(item.line) })
  end
  report.heat_groups = {}
  for level = 1, 5 do
    report.heat_groups[level] = vim.fn.hlexists('FlamelensHeat' .. level) == 1
  end
  -- and what it does with a level the server sends (lines 1-6 of the docstring, no heat of their own)
  local real = vim.deepcopy(heat.get(bufnr))
  local version = vim.lsp.util.buf_versions[bufnr]
  local synthetic = {
    { line = 0, heat = 0.1, percent = 1, level = 4 },
    { line = 1, heat = 0.9, percent = 1, level = 1 },
    { line = 2, heat = 0.25, percent = 1 },
    { line = 3, heat = 0.26, percent = 1 },
    { line = 4, heat = 0.75, percent = 1 },
    { line = 5, heat = 0.76, percent = 1 },
    -- with a baseline: a line whose cost is gone (level 0) and a regression on a tinted line
    { line = 6, heat = 0, level = 0, percent = 0, change = 'improvement' },
    { line = 7, heat = 0.5, level = 2, percent = 3, change = 'regression' },
  }
  vim.lsp.handlers['flamelens/lineHeat'](nil, { uri = vim.uri_from_bufnr(bufnr), version = version, lines = synthetic }, { client_id = client().id })
  report.synthetic_heat = {}
  for i = 0, 5 do
    report.synthetic_heat[i + 1] = heat_on(i)[1] or ''
  end
  report.synthetic_change = {}
  for i = 5, 7 do
    table.insert(report.synthetic_change, { tint = heat_on(i)[1] or '', sign = signs_on(i) })
  end
  local function colour(group)
    return vim.fn.synIDattr(vim.fn.synIDtrans(vim.fn.hlID(group)), 'fg#', 'gui')
  end
  report.change_colours = {
    regression = colour('FlamelensRegression'),
    improvement = colour('FlamelensImprovement'),
    error = colour('DiagnosticError'),
    ok = vim.fn.hlexists('DiagnosticOk') == 1 and colour('DiagnosticOk') or vim.NIL,
  }
  vim.lsp.handlers['flamelens/lineHeat'](nil, { uri = vim.uri_from_bufnr(bufnr), version = version, lines = real }, { client_id = client().id })

  report.initial.heat_line1 = heat_on(0)
  report.initial.hover = hover_lines(HOT, 8)
  report.initial.statusline = flamelens.statusline()
  report.initial.profile = flamelens.status.profile

  -- <Tab> completion of :Flamelens asks the server for what it can offer
  report.completion = {
    subcommands = vim.fn.getcompletion('Flamelens ', 'cmdline'),
    metrics = vim.fn.getcompletion('Flamelens metric ', 'cmdline'),
  }

  -- `:Flamelens metric` without an argument: list the metrics, the user picks `samples`
  choose(function(item)
    return item.key == 'samples'
  end)
  vim.cmd('Flamelens metric')
  -- the menu opens when listMetrics answers, during this wait
  wait('hint shows ' .. EXPECT.hint_samples .. ' after :Flamelens metric (samples picked)', function()
    return hints_on(HOT):find(EXPECT.hint_samples, 1, true) ~= nil
  end)
  report.metric_menu = offered or vim.NIL
  wait('line heat follows the metric to ' .. EXPECT.percent_samples .. '%', function()
    return #heat_on(HOT) > 0 and math.abs(heat_percent(HOT) - EXPECT.percent_samples) < 0.1
  end)
  wait('lens shows ' .. EXPECT.lens_samples .. ' after the metric change', function()
    return table.concat(lenses_on(DEF), '\n'):find(EXPECT.lens_samples, 1, true) ~= nil
  end)
  report.samples = display()
  report.samples.hover = hover_lines(HOT, 8)

  -- and back with an argument: the metric that was active before
  local previous
  for _, m in ipairs(offered and report.metric_menu.items or {}) do
    if m.active then
      previous = m.key
    end
  end
  report.previous_metric = previous or vim.NIL
  if previous then
    vim.cmd('Flamelens metric ' .. previous)
    wait(':Flamelens metric ' .. previous .. ' restores the hint', function()
      return hints_on(HOT) == report.initial.hint
    end)
  end

  vim.cmd('Flamelens toggle')
  wait(':Flamelens toggle hides hints and heat', function()
    return hints_on(HOT) == '' and #heat_on(HOT) == 0
  end)
  -- the server answers the lens request with none: nothing of them may stay on screen
  wait('the lenses are gone after :Flamelens toggle', function()
    return #require('flamelens.lens').get(bufnr) == 0
  end)
  report.toggled_off = display()
  report.toggled_off.lens_marks = lens_marks_in_buffer()
  vim.cmd('edit')
  wait('hints still hidden after :e', function()
    return hints_on(HOT) == '' and #heat_on(HOT) == 0
  end)
  report.toggled_off.lens_marks_after_edit = lens_marks_in_buffer()
  vim.cmd('Flamelens toggle on')
  wait(':Flamelens toggle on shows them again', function()
    return hints_on(HOT) == report.initial.hint and #heat_on(HOT) > 0
  end)

  -- `:Flamelens scope` from the menu: one thread; then back to all samples by argument
  choose(function(item)
    return type(item.label) == 'string' and item.label:find(EXPECT.thread_label, 1, true) ~= nil
  end)
  vim.cmd('Flamelens scope')
  wait('hint shows ' .. EXPECT.hint_thread .. ' for ' .. EXPECT.thread_label, function()
    return hints_on(HOT):find(EXPECT.hint_thread, 1, true) ~= nil
  end)
  report.scope_menu = offered or vim.NIL
  report.thread = display()
  report.thread.statusline = flamelens.statusline()
  vim.cmd('Flamelens scope all')
  wait(':Flamelens scope all restores the hint', function()
    return hints_on(HOT) == report.initial.hint
  end)

  -- `:Flamelens profile` from the menu: the other recording; then back by file name
  choose(function(item)
    return type(item.path) == 'string' and item.path:find(EXPECT.other_profile, 1, true) ~= nil
  end)
  vim.cmd('Flamelens profile')
  wait('hint shows ' .. EXPECT.hint_other .. ' with ' .. EXPECT.other_profile, function()
    return hints_on(HOT):find(EXPECT.hint_other, 1, true) ~= nil
  end)
  wait('lens shows ' .. EXPECT.lens_other .. ' with ' .. EXPECT.other_profile, function()
    return table.concat(lenses_on(DEF), '\n'):find(EXPECT.lens_other, 1, true) ~= nil
  end)
  report.profile_menu = offered or vim.NIL
  report.other = display()
  report.other.hover = hover_lines(HOT, 8)
  vim.cmd('Flamelens profile ' .. vim.fn.fnameescape(report.initial.profile))
  wait(':Flamelens profile <file> restores the hint', function()
    return hints_on(HOT) == report.initial.hint
  end)

  -- callers of the function under the cursor, into the quickfix list
  api.nvim_win_set_cursor(0, { DEF + 1, 6 })
  vim.cmd('Flamelens callers')
  wait(':Flamelens callers fills the quickfix list', function()
    return #vim.fn.getqflist() > 0
  end)
  local qf = vim.fn.getqflist({ title = 1, items = 1 })
  report.callers = { title = qf.title, items = {} }
  for _, item in ipairs(qf.items) do
    table.insert(report.callers.items, {
      text = item.text,
      lnum = item.lnum,
      file = item.bufnr > 0 and api.nvim_buf_get_name(item.bufnr) or '',
    })
  end
  vim.cmd('cclose')
  api.nvim_set_current_buf(bufnr)

  -- the function's lens: a menu of its callers (caller, share, place); the first one opens
  api.nvim_win_set_cursor(0, { DEF + 1, 0 })
  choose_each({
    function(item)
      local title = item.lens and item.lens.command and item.lens.command.title or ''
      return title ~= '' and not vim.startswith(title, '→')
    end,
    function()
      return true
    end,
  })
  vim.lsp.codelens.run()
  wait('the lens menu of callers jumps to the first call site', function()
    return api.nvim_win_get_cursor(0)[1] ~= DEF + 1
  end)
  report.lens_pick = { menus = offered, line = api.nvim_win_get_cursor(0)[1], file = api.nvim_buf_get_name(0) }
  api.nvim_set_current_buf(bufnr)

  -- the caller lens `→ best_discount` opens its call site
  api.nvim_win_set_cursor(0, { DEF + 1, 0 })
  choose(function(item)
    local title = item.lens and item.lens.command and item.lens.command.title or ''
    return vim.startswith(title, '→')
  end)
  vim.lsp.codelens.run()
  wait('the caller lens jumps to the call site', function()
    return api.nvim_win_get_cursor(0)[1] ~= DEF + 1
  end)
  report.lens_jump = { line = api.nvim_win_get_cursor(0)[1], file = api.nvim_buf_get_name(0) }
  api.nvim_set_current_buf(bufnr)

  -- an edit: three lines above the hot line move its hint and heat three lines down.
  -- A -c script blocks the main loop, which is what fires TextChanged, so the probe fires it.
  api.nvim_buf_set_lines(bufnr, HOT - 2, HOT - 2, false, { '    # one', '    # two', '    # three' })
  api.nvim_exec_autocmds('TextChanged', { buffer = bufnr })
  wait('hint moves down after inserting 3 lines', function()
    return hints_on(HOT + 3) == report.initial.hint and hints_on(HOT) == ''
  end)
  wait('heat moves down after inserting 3 lines', function()
    return #heat_on(HOT + 3) > 0 and #heat_on(HOT) == 0
  end)
  report.edited = { hint = hints_on(HOT + 3), heat = heat_on(HOT + 3), hint_lines = all_hint_lines() }
  api.nvim_buf_set_lines(bufnr, HOT - 2, HOT + 1, false, {})
  api.nvim_exec_autocmds('TextChanged', { buffer = bufnr })
  wait('hint back on line 28 after removing them', function()
    return hints_on(HOT) == report.initial.hint
  end)

  -- ---- navigation (issue 12): hotspots, call hierarchy, hot-line diagnostics ----
  local function qf_report()
    local q = vim.fn.getqflist({ title = 1, items = 1, winid = 1 })
    local out = { title = q.title, open = q.winid ~= 0, items = {} }
    for _, item in ipairs(q.items) do
      table.insert(out.items, { text = item.text, lnum = item.lnum, file = item.bufnr > 0 and api.nvim_buf_get_name(item.bufnr) or '' })
    end
    return out
  end
  local function place()
    return { file = api.nvim_buf_get_name(0), line = api.nvim_win_get_cursor(0)[1] }
  end
  local inventory = vim.fn.fnamemodify('shop/inventory.py', ':p')
  report.inventory_open_before = vim.fn.bufloaded(inventory) == 1
  vim.cmd('Flamelens hotspots')
  wait(':Flamelens hotspots fills the quickfix list', function()
    return vim.fn.getqflist({ title = 1 }).title == 'flamelens hotspots' and #vim.fn.getqflist() > 0
  end)
  report.hotspots = qf_report()
  local audit_at
  for i, item in ipairs(vim.fn.getqflist()) do
    if vim.startswith(item.text, 'inventory.audit ') and not audit_at then
      audit_at = i
    end
  end
  vim.cmd('cc ' .. assert(audit_at, 'no inventory.audit among the hotspots'))
  report.hotspot_jump = place()
  local inv = api.nvim_get_current_buf()
  wait('flamelens serves inventory.py', function()
    return flamelens.get_client(inv, true) ~= nil and flamelens.get_client(inv, true).initialized
  end)

  -- Neovim's own call hierarchy: callers of audit (the cursor is on its def) into the quickfix list
  api.nvim_win_set_cursor(0, { 15, 4 })
  vim.lsp.buf.incoming_calls()
  wait('vim.lsp.buf.incoming_calls() lists the callers of audit', function()
    local q = vim.fn.getqflist({ title = 1, items = 1 })
    return q.title == 'LSP call hierarchy' and #q.items > 0
  end)
  report.incoming_native = qf_report()
  vim.cmd('cc 2')
  report.incoming_jump = place()

  -- the same from flamelens alone, with details; and where audit's time goes
  api.nvim_set_current_buf(inv)
  api.nvim_win_set_cursor(0, { 15, 4 })
  vim.cmd('Flamelens incoming')
  wait(':Flamelens incoming lists the callers of audit', function()
    return vim.fn.getqflist({ title = 1 }).title == 'flamelens: incoming calls of inventory.audit'
  end)
  report.incoming = qf_report()
  api.nvim_set_current_buf(inv)
  api.nvim_win_set_cursor(0, { 15, 4 })
  vim.cmd('Flamelens outgoing')
  wait(':Flamelens outgoing lists what audit calls', function()
    return vim.fn.getqflist({ title = 1 }).title == 'flamelens: outgoing calls of inventory.audit'
  end)
  report.outgoing = qf_report()
  vim.cmd('cclose')

  -- `:Flamelens hotspots!`: the same list in a menu; pricing.line_total opens at its def
  api.nvim_set_current_buf(inv)
  choose(function(item)
    return item.name == 'pricing.line_total'
  end)
  vim.cmd('Flamelens hotspots!')
  wait(':Flamelens hotspots! opens pricing.line_total', function()
    report.hotspot_menu_jump = place()
    return api.nvim_buf_get_name(0):find('pricing.py', 1, true) ~= nil and api.nvim_win_get_cursor(0)[1] == 25
  end)
  report.hotspot_menu = offered or vim.NIL

  -- hot lines as diagnostics, turned on and off
  local function hot_lines()
    local n = 0
    for _, d in ipairs(vim.diagnostic.get()) do
      if d.source == 'flamelens' then
        n = n + 1
      end
    end
    return n
  end
  report.diagnostics_before = hot_lines()
  vim.cmd('Flamelens diagnostics on')
  wait('the ' .. EXPECT.hot_lines .. ' hot lines arrive as diagnostics', function()
    return hot_lines() == EXPECT.hot_lines
  end)
  vim.diagnostic.setqflist({ open = false })
  report.diagnostics_on = qf_report()
  vim.cmd('Flamelens diagnostics off')
  wait('hot-line diagnostics are cleared', function()
    return hot_lines() == 0
  end)
  vim.diagnostic.setqflist({ open = false })
  report.diagnostics_off = qf_report()

  -- a baseline that cannot be compared (wall time against CPU time): said, and in the statusline
  vim.cmd('Flamelens baseline ' .. EXPECT.other_profile)
  local function said_baseline()
    local found = {}
    for _, n in ipairs(report.notifications) do
      if n.msg:find('baseline', 1, true) or n.msg:find('comparison', 1, true) then
        table.insert(found, n.msg)
      end
    end
    return found
  end
  wait(':Flamelens baseline with a wall-clock recording says why nothing is compared', function()
    return flamelens.status and type(flamelens.status.baselineProblem) == 'string' and #said_baseline() == 1
  end)
  report.baseline_refused = { statusline = flamelens.statusline(), problem = flamelens.status.baselineProblem, said = {} }
  vim.cmd('Flamelens baseline none')
  wait(':Flamelens baseline none ends it', function()
    return flamelens.status and flamelens.status.baseline == nil and flamelens.status.baselineProblem == nil and #said_baseline() == 2
  end)
  report.baseline_none = flamelens.statusline()
  report.baseline_refused.said = said_baseline()

  -- the flame graph: its URL said, and given to the browser (a stand-in xdg-open records it)
  vim.cmd('Flamelens flamegraph')
  local opened = assert(os.getenv('FLAMELENS_OPENED'))
  wait('the browser is asked to open the flame graph', function()
    return vim.fn.filereadable(opened) == 1 and #vim.fn.readfile(opened) > 0
  end)
  -- and the sandwich of the function under the cursor (line_total, on its def)
  api.nvim_set_current_buf(bufnr)
  api.nvim_win_set_cursor(0, { DEF + 1, 0 })
  vim.cmd('Flamelens flamegraph here')
  wait('the browser is asked to open the sandwich of line_total', function()
    return #vim.fn.readfile(opened) > 1
  end)
  report.flamegraph = { opened = vim.fn.readfile(opened), said = {} }
  for _, n in ipairs(report.notifications) do
    if n.msg:find('flame graph', 1, true) then
      table.insert(report.flamegraph.said, n.msg)
    end
  end
  api.nvim_set_current_buf(bufnr)

  vim.cmd('checkhealth flamelens')
  report.health = api.nvim_buf_get_lines(0, 0, -1, false)
end

local ok, err = xpcall(run, debug.traceback)
if not ok then
  table.insert(report.errors, tostring(err))
end
report.total_ms = ms()
-- errors raised in callbacks (handlers, autocmds) end up here rather than in the probe
report.messages = vim.split(vim.fn.execute('messages'), '\n', { trimempty = true })
local log = io.open((vim.lsp.log and vim.lsp.log.get_filename) and vim.lsp.log.get_filename() or vim.lsp.get_log_path(), 'r')
if log then
  local lines = vim.split(log:read('*a'), '\n')
  report.lsp_log_tail = { unpack(lines, math.max(1, #lines - 40)) }
  log:close()
end
local out = assert(io.open(assert(os.getenv('FLAMELENS_REPORT')), 'w'))
out:write(vim.fn.json_encode(report))
out:close()
vim.cmd('qa!')
