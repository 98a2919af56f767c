-- artifact-lsp for Neovim 0.11+ (native LSP config).
--
--   vim.lsp.enable('artifact_lsp')                  -- with editors/neovim on 'runtimepath'
--
-- Overrides, either of (set them before the first manifest is opened):
--   vim.g.artifact_lsp_cmd = { '/path/to/venv/bin/python', '-m', 'artifact_lsp', 'serve' }
--   vim.lsp.config('artifact_lsp', { cmd = { 'uvx', 'artifact-lsp', 'serve' }, settings = { ... } })
--
-- The server is started only for the files it serves: `artifact.yml`, `artifact.json` and
-- `test_matrix.yaml` (other YAML and JSON never get a client). Its workspace folder is the
-- repository root, found the way the server finds it: the nearest folder above the file holding
-- `.artifact-lsp.toml` or a `pyproject.toml` with a `[tool.artifact-lsp]` section, else the
-- nearest `.git`, else the nearest `pyproject.toml`.

local SERVED = { ['artifact.yml'] = true, ['artifact.json'] = true, ['test_matrix.yaml'] = true }

--- The server command: `vim.g.artifact_lsp_cmd` (a list, or a string naming the executable) or
--- `artifact-lsp serve` from PATH.
local function default_cmd()
  local cmd = vim.g.artifact_lsp_cmd
  if type(cmd) == 'string' and cmd ~= '' then
    return { cmd, 'serve' }
  end
  if type(cmd) == 'table' and #cmd > 0 then
    return vim.deepcopy(cmd)
  end
  return { 'artifact-lsp', 'serve' }
end

--- True when `dir/pyproject.toml` has a `[tool.artifact-lsp]` table (or a sub-table of it).
local function pyproject_configures(dir)
  local file = io.open(dir .. '/pyproject.toml', 'r')
  if not file then
    return false
  end
  local found = false
  for line in file:lines() do
    if line:match('^%s*%[+%s*tool%.["\']?artifact%-lsp["\']?%s*[%]%.]') then
      found = true
      break
    end
  end
  file:close()
  return found
end

local function exists(path)
  return vim.uv.fs_stat(path) ~= nil
end

--- The repository root for a served file (nil when there is none: single-file mode).
local function find_root(path)
  local dirs = {}
  for dir in vim.fs.parents(path) do
    dirs[#dirs + 1] = dir
  end
  for _, dir in ipairs(dirs) do
    if exists(dir .. '/.artifact-lsp.toml') or pyproject_configures(dir) then
      return dir
    end
  end
  for _, dir in ipairs(dirs) do
    if exists(dir .. '/.git') then
      return dir
    end
  end
  for _, dir in ipairs(dirs) do
    if exists(dir .. '/pyproject.toml') then
      return dir
    end
  end
  return nil
end

---@type vim.lsp.Config
return {
  cmd = default_cmd(),
  filetypes = { 'yaml', 'json' },
  root_dir = function(bufnr, on_dir)
    local name = vim.api.nvim_buf_get_name(bufnr)
    if name == '' or not SERVED[vim.fs.basename(name)] then
      return -- not ours: on_dir is never called, so no client attaches
    end
    on_dir(find_root(vim.fs.normalize(vim.fn.fnamemodify(name, ':p'))))
  end,
  -- `workspace/configuration` section `artifactLsp` (see the top-level README: ignore, severity,
  -- extraLegacyKeys, documentGlobs, regenerate, ...)
  settings = { artifactLsp = {} },
}
