--- Where the server for a file is rooted. One project must mean one server: the server watches
--- its root for profiles, so a second server rooted at a nested marker (`tests/pytest.ini` inside
--- a repository) finds no profile and shows nothing. Used by the plugin on every version and by
--- lsp/flamelens.lua's `root_dir` for `vim.lsp.enable('flamelens')` on 0.11+, so that both
--- give the same root and Neovim reuses one client.
local M = {}

local uv = vim.uv or vim.loop

--- File name endings of the profiles the server reads by default (docs/configuration.md).
M.profile_suffixes = {
  '.austin',
  '.aprof',
  '.mojo',
  '.pprof',
  '.pb.gz',
  '.pb',
  '.pstats',
  '.prof',
  '.cpuprofile',
  '.speedscope.json',
  '.perf.txt',
  '.perf-script',
  '.folded',
  '.collapsed',
}

local function exists(path)
  return uv.fs_stat(path) ~= nil
end

--- Whether `dir` itself (not its subfolders: that would be a walk of the whole tree) holds a profile.
local function holds_profiles(dir)
  local handle = uv.fs_scandir(dir)
  if not handle then
    return false
  end
  while true do
    local name, kind = uv.fs_scandir_next(handle)
    if not name then
      return false
    end
    if kind ~= 'directory' then
      for _, suffix in ipairs(M.profile_suffixes) do
        if name:sub(-#suffix) == suffix then
          return true
        end
      end
    end
  end
end

local function normalize(path)
  path = vim.fn.fnamemodify(path, ':p')
  if #path > 1 then
    path = path:gsub('/+$', '')
  end
  return path
end

--- Whether `path` is `dir` or lies below it.
function M.contains(dir, path)
  dir, path = normalize(dir), normalize(path)
  return path == dir or vim.startswith(path, dir == '/' and '/' or dir .. '/')
end

--- The project root of a file from the disk alone, and how it was found:
---   'git'      the outermost folder holding `.git` (a repository with nested markers, submodules);
---   'marker'   else the outermost folder holding a root marker;
---   'profiles' else the nearest folder holding a profile file;
---   'cwd'      else the working directory, when the file lies below it;
---   'file'     else the file's own folder.
--- The walk stops below the home folder and `/`: a dotfiles repository or a stray package.json in
--- $HOME must not make the whole home folder one project.
function M.find(fname, markers)
  local home = uv.os_homedir and uv.os_homedir() or os.getenv('HOME')
  home = home and normalize(home) or nil
  local dir = normalize(vim.fn.fnamemodify(fname, ':p:h'))
  local git, marker, profiles
  while dir ~= '/' and dir ~= home do
    if exists(dir .. '/.git') then
      git = dir
    end
    for _, m in ipairs(markers or {}) do
      if m ~= '.git' and exists(dir .. '/' .. m) then
        marker = dir
        break
      end
    end
    if not profiles and not git and not marker and holds_profiles(dir) then
      profiles = dir
    end
    local parent = normalize(vim.fn.fnamemodify(dir, ':h'))
    if parent == dir then
      break
    end
    dir = parent
  end
  if git then
    return git, 'git'
  elseif marker then
    return marker, 'marker'
  elseif profiles then
    return profiles, 'profiles'
  end
  local cwd = normalize(vim.fn.getcwd())
  if cwd ~= '/' and cwd ~= home and M.contains(cwd, fname) then
    return cwd, 'cwd'
  end
  return normalize(vim.fn.fnamemodify(fname, ':p:h')), 'file'
end

--- Roots of the running flamelens clients, most specific first.
local function running_roots(name)
  local all = vim.lsp.get_clients and vim.lsp.get_clients({ name = name }) or vim.lsp.get_active_clients()
  local roots = {}
  for _, client in ipairs(all) do
    if client.name == name and type(client.config.root_dir) == 'string' then
      roots[#roots + 1] = client.config.root_dir
    end
  end
  table.sort(roots, function(a, b)
    return #a > #b
  end)
  return roots
end

--- The root to serve `fname` from: a running flamelens client's root when it contains the file;
--- else the project root on disk; a file outside any project (the standard library, reached by
--- following a caller) joins the running server, which maps it by its absolute path.
function M.for_file(fname, markers, name)
  name = name or 'flamelens'
  local roots = running_roots(name)
  for _, root in ipairs(roots) do
    if M.contains(root, fname) then
      return root, 'running'
    end
  end
  local root, how = M.find(fname, markers)
  if (how == 'file' or how == 'cwd') and #roots > 0 then
    return roots[#roots], 'running'
  end
  return root, how
end

return M
