--- flamelens for Neovim 0.7+: starts the language server for the buffers it covers, keeps code
--- lenses and inlay hints fresh (Neovim refreshes neither by itself), and draws what plain LSP
--- cannot express (line heat). Everything else is the server's job.
local M = {}

local api = vim.api

M.name = 'flamelens'
--- The last `flamelens/status` notification (see server/src/protocol.ts StatusParams).
M.status = nil

local uv = vim.uv or vim.loop

local source = debug.getinfo(1, 'S').source:sub(2)
--- clients/nvim: lua/flamelens/init.lua is three levels down. Symlinks are resolved, so that a
--- packpath entry linking to a checkout still finds the checkout's dist/.
M.plugin_root = uv.fs_realpath(vim.fn.fnamemodify(source, ':p:h:h:h')) or vim.fn.fnamemodify(source, ':p:h:h:h')

local options = { autostart = true, heat = true, inlay_hints = true, browser = true }
local config -- resolved: lsp/flamelens.lua with setup() options on top
local started = {} -- 0.7 only: root_dir -> client id (vim.lsp.start does this bookkeeping on 0.8+)

local function has(feature)
  return vim.fn.has(feature) == 1
end

--- The configuration shipped as data in lsp/flamelens.lua (a fresh copy on every call).
function M.default_config()
  return dofile(M.plugin_root .. '/lsp/flamelens.lua')
end

local function merge_settings(base, user)
  local merged = vim.tbl_deep_extend('force', {}, base or {}, user or {})
  -- an empty Lua table would be sent as `[]`; the server expects an object
  if type(merged.flamelens) ~= 'table' or vim.tbl_isempty(merged.flamelens) then
    merged.flamelens = vim.empty_dict()
  end
  return merged
end

local function resolve(opts)
  local base = M.default_config()
  return {
    cmd = opts.cmd or base.cmd,
    filetypes = opts.filetypes or base.filetypes,
    root_markers = opts.root_markers or base.root_markers,
    settings = merge_settings(base.settings, opts.settings),
    capabilities = base.capabilities,
  }
end

--- Configures the plugin; optional (the defaults work from a checkout with a built server).
--- opts: cmd, filetypes, root_markers, settings ({ flamelens = {...} }, see docs/configuration.md),
--- autostart (default true), heat (line heat, default true), inlay_hints (default true),
--- browser (`:Flamelens flamegraph` opens the page's URL: true for the system's browser, false to
--- only print the URL, or a function(url)), capabilities (merged into the client's),
--- on_attach(client, bufnr).
function M.setup(opts)
  opts = opts or {}
  if type(opts) ~= 'table' then
    error('flamelens.setup: expected a table, got ' .. type(opts), 2)
  end
  config = resolve(opts)
  options = {
    autostart = opts.autostart ~= false,
    heat = opts.heat ~= false,
    inlay_hints = opts.inlay_hints ~= false,
    browser = opts.browser == nil and true or opts.browser,
    capabilities = opts.capabilities,
    on_attach = opts.on_attach,
  }
  -- setup() may run after buffers were opened (lazy loading): attach those too
  for _, bufnr in ipairs(api.nvim_list_bufs()) do
    if api.nvim_buf_is_loaded(bufnr) then
      M.attach(bufnr)
    end
  end
end

--- The resolved configuration (defaults when setup() was never called).
function M.config()
  config = config or resolve({})
  return config
end

function M.options()
  return options
end

--- The root to serve `fname` from (see lua/flamelens/root.lua): a running flamelens client's root
--- when it contains the file, else the outermost folder holding `.git`, else the outermost one
--- holding a root marker, else the nearest one holding a profile, else the working directory.
function M.find_root(fname, markers)
  return (require('flamelens.root').for_file(fname, markers or M.config().root_markers, M.name))
end

local function capabilities()
  local caps = vim.lsp.protocol.make_client_capabilities()
  -- lsp/flamelens.lua's (the opt-in to flamelens/* notifications), then what the handlers answer
  caps = vim.tbl_deep_extend('force', caps, M.config().capabilities or {}, {
    -- the handlers below answer these on every version
    workspace = { codeLens = { refreshSupport = true }, inlayHint = { refreshSupport = true } },
    window = { showDocument = { support = true } },
  })
  if not (caps.textDocument and caps.textDocument.inlayHint) then
    -- 0.7-0.9: inlay.lua requests and draws hints itself
    caps.textDocument = caps.textDocument or {}
    caps.textDocument.inlayHint = { dynamicRegistration = false }
  end
  -- hot-line diagnostics by push: Neovim 0.12 pulls diagnostics for open buffers only, while the
  -- server pushes them for closed files too (what :Flamelens diagnostics lists). The server pulls
  -- only from clients that accept workspace/diagnostic/refresh; 0.11+ merges its defaults back
  -- into these capabilities, so the key is set to false rather than removed.
  caps.workspace = caps.workspace or {}
  caps.workspace.diagnostics = vim.tbl_extend('force', caps.workspace.diagnostics or {}, { refreshSupport = false })
  if options.capabilities then
    caps = vim.tbl_deep_extend('force', caps, options.capabilities)
  end
  return caps
end

local function show_document(_, params, ctx)
  if type(params) ~= 'table' or params.external then
    return { success = false }
  end
  local client = vim.lsp.get_client_by_id(ctx.client_id)
  local range = params.selection or { start = { line = 0, character = 0 }, ['end'] = { line = 0, character = 0 } }
  local ok = vim.lsp.util.jump_to_location({ uri = params.uri, range = range }, client and client.offset_encoding or 'utf-16')
  return { success = ok and true or false }
end

--- Handlers Neovim lacks on some versions; answering requests with vim.NIL (JSON null), as LSP asks.
local function handlers()
  local h = {}
  -- always ours: the lenses are asked from this client only and drawn by lens.lua
  h['workspace/codeLens/refresh'] = function(_, _, ctx)
    for _, bufnr in ipairs(M.buffers_of(ctx.client_id)) do
      M.refresh_lenses(bufnr)
    end
    return vim.NIL
  end
  h['textDocument/hover'] = require('flamelens.hover').handler()
  if not vim.lsp.handlers['workspace/inlayHint/refresh'] then
    h['workspace/inlayHint/refresh'] = function(_, _, ctx)
      if options.inlay_hints then
        require('flamelens.inlay').refresh_client(ctx.client_id)
      end
      return vim.NIL
    end
  elseif require('flamelens.inlay').redraws_stale() then
    h['workspace/inlayHint/refresh'] = function(_, _, ctx)
      require('flamelens.inlay').refresh_native(ctx.client_id)
      return vim.NIL
    end
  end
  if not vim.lsp.handlers['window/showDocument'] then
    h['window/showDocument'] = show_document
  end
  return h
end

--- The config handed to vim.lsp.start (0.8+) or vim.lsp.start_client (0.7) for one root.
function M.client_config(root_dir)
  local cfg = M.config()
  require('flamelens.lens').install()
  return {
    name = M.name,
    cmd = cfg.cmd,
    root_dir = root_dir,
    -- named by the full path, as Neovim names them: 0.10's vim.lsp.start reuses a client when a
    -- folder's name equals the root (with the base name it started a new server per buffer)
    workspace_folders = {
      { uri = vim.uri_from_fname(root_dir), name = root_dir },
    },
    settings = cfg.settings,
    init_options = cfg.settings.flamelens,
    capabilities = capabilities(),
    handlers = handlers(),
    -- 0.8+ reaches M.on_attach through LspAttach (plugin/flamelens.lua)
    on_attach = not has('nvim-0.8') and function(client, bufnr)
      M.on_attach(client, bufnr)
    end or nil,
    on_exit = function(_, _, client_id)
      vim.schedule(function()
        M.clear_all(client_id)
      end)
    end,
  }
end

--- Starts (or reuses) the server for a buffer whose filetype it covers. Called on FileType.
function M.attach(bufnr)
  if bufnr == nil or bufnr == 0 then
    bufnr = api.nvim_get_current_buf()
  end
  local cfg = M.config()
  if not options.autostart or vim.g.flamelens_autostart == false then
    return
  end
  if not api.nvim_buf_is_valid(bufnr) or vim.bo[bufnr].buftype ~= '' then
    return
  end
  if not vim.tbl_contains(cfg.filetypes, vim.bo[bufnr].filetype) then
    return
  end
  local fname = api.nvim_buf_get_name(bufnr)
  if fname == '' or fname:match('^%a[%w+.-]*://') then
    return
  end
  if vim.fn.executable(cfg.cmd[1]) == 0 then
    -- once, rather than an error from the LSP client for every buffer opened
    if not M.warned_missing then
      M.warned_missing = true
      vim.notify(
        'flamelens: server command not found: ' .. cfg.cmd[1] .. ' (see :checkhealth flamelens)',
        vim.log.levels.WARN
      )
    end
    return
  end
  local client_cfg = M.client_config(M.find_root(fname, cfg.root_markers))
  if vim.lsp.start then
    return vim.lsp.start(client_cfg, {
      bufnr = bufnr,
      reuse_client = function(client, conf)
        return client.name == conf.name and client.config.root_dir == conf.root_dir
      end,
    })
  end
  local id = started[client_cfg.root_dir]
  if not (id and vim.lsp.get_client_by_id(id)) then
    id = vim.lsp.start_client(client_cfg)
    started[client_cfg.root_dir] = id
  end
  if id then
    vim.lsp.buf_attach_client(bufnr, id)
  end
  return id
end

--- Runs once per (client, buffer): refresh triggers, native or drawn inlay hints, line heat.
function M.on_attach(client, bufnr)
  require('flamelens.lens').install()
  local group = api.nvim_create_augroup('flamelens', { clear = false })
  api.nvim_clear_autocmds({ group = group, buffer = bufnr })
  -- BufReadPost: `:e` reloads the text, and with it what is drawn
  api.nvim_create_autocmd({ 'BufEnter', 'BufReadPost', 'InsertLeave', 'TextChanged' }, {
    group = group,
    buffer = bufnr,
    callback = function(args)
      M.refresh(args.buf)
    end,
  })
  if options.inlay_hints then
    require('flamelens.inlay').enable(bufnr)
  end
  if options.heat then
    require('flamelens.heat').redraw(bufnr)
  end
  M.refresh(bufnr)
  if options.on_attach then
    options.on_attach(client, bufnr)
  end
end

--- Asks for code lenses again (Neovim never does by itself).
function M.refresh_lenses(bufnr)
  require('flamelens.lens').refresh(bufnr)
end

--- Refreshes lenses, and hints where Neovim does not (before 0.10).
function M.refresh(bufnr)
  if bufnr == nil or bufnr == 0 then
    bufnr = api.nvim_get_current_buf()
  end
  M.refresh_lenses(bufnr)
  if options.inlay_hints then
    require('flamelens.inlay').refresh(bufnr)
  end
end

local method_calls = has('nvim-0.11') -- Client methods take `:` from 0.11 (`.` is deprecated there)

--- client:request on 0.11+, client.request before.
function M.request(client, method, params, handler, bufnr)
  if method_calls then
    return client:request(method, params, handler, bufnr)
  end
  return client.request(method, params, handler, bufnr)
end

function M.notify(client, method, params)
  if method_calls then
    return client:notify(method, params)
  end
  return client.notify(method, params)
end

function M.request_sync(client, method, params, timeout_ms, bufnr)
  if method_calls then
    return client:request_sync(method, params, timeout_ms, bufnr)
  end
  return client.request_sync(method, params, timeout_ms, bufnr)
end

--- Buffers a client is attached to.
function M.buffers_of(client_id)
  local client = vim.lsp.get_client_by_id(client_id)
  if client and type(client.attached_buffers) == 'table' then
    return vim.tbl_keys(client.attached_buffers)
  end
  return vim.lsp.get_buffers_by_client_id(client_id)
end

--- Running flamelens clients; with bufnr, those attached to that buffer.
function M.clients(bufnr)
  local all = vim.lsp.get_clients and vim.lsp.get_clients({ name = M.name }) or vim.lsp.get_active_clients()
  local found = {}
  for _, client in ipairs(all) do
    if client.name == M.name and (bufnr == nil or vim.lsp.buf_is_attached(bufnr, client.id)) then
      found[#found + 1] = client
    end
  end
  return found
end

--- The client serving bufnr, else (attached_only false) any running flamelens client.
function M.get_client(bufnr, attached_only)
  bufnr = (bufnr == nil or bufnr == 0) and api.nvim_get_current_buf() or bufnr
  local client = M.clients(bufnr)[1]
  if client or attached_only then
    return client
  end
  return M.clients()[1]
end

--- Clears everything drawn (after a server exits: `client_id`'s lenses everywhere).
function M.clear_all(client_id)
  for _, bufnr in ipairs(api.nvim_list_bufs()) do
    if api.nvim_buf_is_loaded(bufnr) then
      if client_id then
        api.nvim_buf_clear_namespace(bufnr, require('flamelens.lens').namespace(client_id), 0, -1)
      end
      if #M.clients(bufnr) == 0 then
        api.nvim_buf_clear_namespace(bufnr, require('flamelens.inlay').ns, 0, -1)
        api.nvim_buf_clear_namespace(bufnr, require('flamelens.heat').ns, 0, -1)
      end
    end
  end
end

--- `flamelens/status` handler: keeps the latest status and tells statuslines to redraw.
function M.on_status(err, params)
  if err or type(params) ~= 'table' then
    return
  end
  M.status = params
  api.nvim_exec_autocmds('User', { pattern = 'FlamelensStatus', modeline = false })
  -- a statusline showing statusline() is drawn again now, not at the next keystroke
  vim.cmd('redrawstatus!')
end

--- A short status text for a statusline: `flamelens: cpu.austin · CPU time · 5600 samples`, with a
--- baseline `flamelens: after.austin vs before.austin · ...` (or `(no comparison)` when it cannot be
--- compared; `:Flamelens` says why).
function M.statusline()
  local s = M.status
  if not s or s.profile == nil or s.profile == vim.NIL then
    return ''
  end
  local name = vim.fn.fnamemodify(s.profile, ':t')
  if type(s.baseline) == 'string' then
    if type(s.comparison) == 'string' then
      name = name .. ' vs ' .. vim.fn.fnamemodify(s.baseline, ':t')
    elseif s.baselineLoading == true then
      name = name .. ' vs ' .. vim.fn.fnamemodify(s.baseline, ':t') .. ' (loading)'
    end
  end
  if type(s.baselineProblem) == 'string' then
    name = name .. ' (no comparison)'
  end
  local parts = { 'flamelens: ' .. name }
  if type(s.metricLabel) == 'string' then
    parts[#parts + 1] = s.metricLabel
  end
  if type(s.samples) == 'number' then
    parts[#parts + 1] = s.samples .. ' samples'
  end
  local text = table.concat(parts, ' · ')
  if s.loading then
    text = text .. ' (loading)'
  end
  if s.enabled == false then
    text = text .. ' (off)'
  end
  return text
end

return M
