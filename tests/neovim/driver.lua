-- Drives a real headless Neovim for tests/test_neovim.py.
--
-- Started as `nvim --headless --clean --cmd 'set rtp+=editors/neovim' -c 'luafile driver.lua'`
-- with the environment:
--   ARTIFACT_NVIM_SCENARIO  which scenario below to run
--   ARTIFACT_NVIM_REPO      the temporary copy of examples/ to work in
--   ARTIFACT_NVIM_CMD       the server command, a JSON list
--   ARTIFACT_NVIM_OUT       where to write the JSON observations (Python asserts on them)
--   ARTIFACT_NVIM_SETTINGS  optional JSON `settings` for vim.lsp.config (regenerate scenarios)
--   ARTIFACT_NVIM_TIMEOUT   optional: ms to wait for each step (default 15000)
-- Every scenario records what a user would see (diagnostics, buffer lines, notifications,
-- clients) into `out`; a failing step records its error and the observations so far.

local env = vim.env
local out_path = env.ARTIFACT_NVIM_OUT
if not out_path then
  io.stderr:write('driver.lua: ARTIFACT_NVIM_OUT is not set\n')
  vim.cmd('cquit 2')
end
local repo = env.ARTIFACT_NVIM_REPO or ''
local server_cmd = env.ARTIFACT_NVIM_CMD and vim.json.decode(env.ARTIFACT_NVIM_CMD) or nil
local TIMEOUT = tonumber(env.ARTIFACT_NVIM_TIMEOUT or '') or 15000

local out = { steps = {}, notifications = {} }

-- every vim.notify is recorded (and not echoed: headless has nobody to read it)
vim.notify = function(msg, level, _opts)
  table.insert(out.notifications, { message = msg, level = level or vim.log.levels.INFO, at = vim.uv.now() })
end

local function step(name)
  table.insert(out.steps, name)
end

local function wait(what, cond, timeout)
  local ok = vim.wait(timeout or TIMEOUT, cond, 20)
  if not ok then
    error('timed out waiting for ' .. what, 2)
  end
end

local function path(rel)
  return repo .. '/' .. rel
end

local function lines(buf)
  return vim.api.nvim_buf_get_lines(buf or 0, 0, -1, false)
end

--- 'pull' or 'push' for our client's diagnostic namespaces (Neovim keeps them apart).
local function namespace_kind(ns)
  for name, id in pairs(vim.api.nvim_get_namespaces()) do
    if id == ns then
      if name:match('^vim%.lsp%.artifact_lsp%.%d+$') then
        return 'push'
      elseif name:match('^vim%.lsp%.artifact_lsp%.%d+%.') then
        return 'pull'
      end
      return name
    end
  end
  return tostring(ns)
end

local function diags(buf)
  local list = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    list[#list + 1] = {
      via = namespace_kind(d.namespace),
      code = d.code,
      lnum = d.lnum,
      col = d.col,
      end_lnum = d.end_lnum,
      end_col = d.end_col,
      severity = d.severity,
      source = d.source,
      message = d.message,
    }
  end
  table.sort(list, function(a, b)
    if a.lnum ~= b.lnum then
      return a.lnum < b.lnum
    end
    if a.col ~= b.col then
      return a.col < b.col
    end
    return tostring(a.code) < tostring(b.code)
  end)
  return list
end

local function client_of(buf)
  return vim.lsp.get_clients({ bufnr = buf, name = 'artifact_lsp' })[1]
end

--- Diagnostics of `buf` in one client namespace ('pull' or 'push'), or all (what a user sees).
local function in_namespace(buf, which)
  if not which then
    return vim.diagnostic.get(buf)
  end
  local client = client_of(buf)
  if not client then
    return {}
  end
  return vim.diagnostic.get(buf, { namespace = vim.lsp.diagnostic.get_namespace(client.id, which == 'pull') })
end

local function has_code(buf, code, which)
  for _, d in ipairs(in_namespace(buf, which)) do
    if d.code == code then
      return true
    end
  end
  return false
end

local function any_code(buf, codes)
  for _, code in ipairs(codes) do
    if has_code(buf, code) then
      return true
    end
  end
  return false
end

local function client_info(buf)
  local clients = vim.lsp.get_clients({ bufnr = buf })
  local info = {}
  for _, c in ipairs(clients) do
    local folders = {}
    for _, f in ipairs(c.workspace_folders or {}) do
      folders[#folders + 1] = f.name
    end
    info[#info + 1] = {
      name = c.name,
      root_dir = c.root_dir,
      offset_encoding = c.offset_encoding,
      workspace_folders = folders,
      cmd = c.config.cmd,
      pull = c.server_capabilities.diagnosticProvider ~= nil,
      position_encoding = c.server_capabilities.positionEncoding,
    }
  end
  return info
end

--- Open a file and, when `served`, wait for the client and its first diagnostics.
local function open(rel, served, want_codes)
  vim.cmd.edit(vim.fn.fnameescape(path(rel)))
  local buf = vim.api.nvim_get_current_buf()
  if served then
    wait('a client on ' .. rel, function()
      local c = vim.lsp.get_clients({ bufnr = buf, name = 'artifact_lsp' })[1]
      return c ~= nil and c.initialized
    end)
    -- wait for the pulled result (Neovim 0.11 pulls textDocument/diagnostic for open files)
    wait('pulled diagnostics on ' .. rel, function()
      for _, code in ipairs(want_codes) do
        if not has_code(buf, code, 'pull') then
          return false
        end
      end
      return true
    end)
  else
    -- root_dir runs on FileType; a client would start on the next loop turn: give it several
    vim.wait(300, function()
      return #vim.lsp.get_clients({ bufnr = buf }) > 0
    end, 20)
  end
  return buf
end

local function find_line(buf, pattern)
  for i, line in ipairs(lines(buf)) do
    if line:find(pattern) then
      return i - 1, line
    end
  end
  error('no line matches ' .. pattern)
end

--- Put the cursor on `key` (on the line matching `pattern`) and apply the preferred
--- "Remove legacy key '<key>'" quick fix, as a user would with vim.lsp.buf.code_action.
local function quick_fix(buf, pattern, key)
  local lnum, line = find_line(buf, pattern)
  local col = assert(line:find(key, 1, true), key) - 1
  vim.api.nvim_win_set_cursor(0, { lnum + 1, col })
  local tick = vim.api.nvim_buf_get_changedtick(buf)
  local offered = {}
  vim.lsp.buf.code_action({
    apply = true,
    filter = function(action)
      offered[#offered + 1] = { title = action.title, kind = action.kind, preferred = action.isPreferred or false }
      return action.isPreferred == true and vim.startswith(action.title, ("Remove legacy key '%s'"):format(key))
    end,
  })
  wait('the quick fix for ' .. key, function()
    return vim.api.nvim_buf_get_changedtick(buf) ~= tick
  end)
  return { line = lnum, col = col, offered = offered }
end

local function lsp_cmd_override()
  local config = { cmd = server_cmd }
  if env.ARTIFACT_NVIM_SETTINGS then
    config.settings = vim.json.decode(env.ARTIFACT_NVIM_SETTINGS)
  end
  vim.lsp.config('artifact_lsp', config)
end

---------------------------------------------------------------------------- scenarios

local scenarios = {}

--- Diagnostics, positions, attach rules, quick fixes and fix-all.
function scenarios.edit()
  vim.g.artifact_lsp_cmd = server_cmd -- the documented global override
  vim.lsp.enable('artifact_lsp')

  step('docker manifest')
  local docker = open('e2e/artifacts/e2e-docker/artifact.yml', true, { 'AL103', 'AL104', 'AL105', 'AL101', 'AL102' })
  out.docker = {
    filetype = vim.bo[docker].filetype,
    clients = client_info(docker),
    lines = lines(docker),
    diagnostics = diags(docker),
  }

  step('unopened manifests (the workspace lint)')
  wait('diagnostics for the unopened matrix', function()
    for _, d in ipairs(vim.diagnostic.get()) do
      if vim.api.nvim_buf_get_name(d.bufnr):match('test_matrix%.yaml$') then
        return true
      end
    end
    return false
  end)
  out.workspace = {}
  for _, d in ipairs(vim.diagnostic.get()) do
    local name = vim.api.nvim_buf_get_name(d.bufnr):sub(#repo + 2)
    out.workspace[name] = out.workspace[name] or {}
    table.insert(out.workspace[name], d.code)
  end
  vim.fn.setqflist({}, 'r', { items = vim.diagnostic.toqflist(vim.diagnostic.get()) })
  out.quickfix_files = {}
  for _, item in ipairs(vim.fn.getqflist()) do
    out.quickfix_files[vim.api.nvim_buf_get_name(item.bufnr):sub(#repo + 2)] = true
  end

  step('non-ascii manifest')
  local uni = open('e2e/artifacts/e2e-unicode/artifact.yml', true, { 'AL104', 'AL105' })
  out.unicode = { lines = lines(uni), diagnostics = diags(uni), clients = client_info(uni) }

  step('json manifest')
  local json = open('e2e/artifacts/e2e-containerd/artifact.json', true, { 'AL104' })
  out.json = { filetype = vim.bo[json].filetype, lines = lines(json), diagnostics = diags(json), clients = client_info(json) }

  step('matrix')
  local matrix = open('e2e/environments/test_matrix.yaml', true, { 'AL503', 'AL501' })
  out.matrix = { filetype = vim.bo[matrix].filetype, diagnostics = diags(matrix), clients = client_info(matrix) }

  step('other yaml and json')
  out.others = {}
  for _, rel in ipairs({ 'other.yml', 'e2e/artifacts/e2e-docker/other.yml', 'e2e/artifacts/e2e-docker/notes.json' }) do
    local buf = open(rel, false)
    out.others[rel] = { filetype = vim.bo[buf].filetype, clients = client_info(buf), diagnostics = diags(buf) }
  end
  out.client_count = #vim.lsp.get_clients({ name = 'artifact_lsp' })

  step('quick fix on the emoji line')
  vim.cmd.buffer(docker)
  out.quick_fix = {}
  out.quick_fix.image_prewarm = quick_fix(docker, '^%s+image_prewarm:', 'image_prewarm')
  wait('AL105 to go after the quick fix', function()
    return not has_code(docker, 'AL105') and has_code(docker, 'AL104')
  end)
  out.quick_fix.image_prewarm.lines = lines(docker)

  step('quick fix on a dash line')
  out.quick_fix.id = quick_fix(docker, '^%s+%- id:', 'id')
  wait('AL104 to go after the quick fix', function()
    return not has_code(docker, 'AL104') and has_code(docker, 'AL103')
  end)
  out.quick_fix.id.lines = lines(docker)
  out.quick_fix.diagnostics = diags(docker)

  step(':ArtifactFixAll')
  vim.cmd('ArtifactFixAll')
  wait('fix-all to remove every legacy key', function()
    return not any_code(docker, { 'AL101', 'AL102', 'AL103', 'AL104', 'AL105' })
  end)
  wait('the fix-all notification', function()
    for _, n in ipairs(out.notifications) do
      if n.message:find('removed %d+ legacy key') then
        return true
      end
    end
    return false
  end)
  out.fix_all = { lines = lines(docker), diagnostics = diags(docker), modified = vim.bo[docker].modified }

  step(':ArtifactFixAll with nothing left')
  local before = #out.notifications
  vim.cmd('ArtifactFixAll')
  wait('the nothing-to-fix notification', function()
    return #out.notifications > before
  end)

  step('source.fixAll code action on the matrix')
  vim.cmd.buffer(matrix)
  local tick = vim.api.nvim_buf_get_changedtick(matrix)
  vim.lsp.buf.code_action({ context = { only = { 'source.fixAll' } }, apply = true })
  wait('the source.fixAll edit', function()
    return vim.api.nvim_buf_get_changedtick(matrix) ~= tick
  end)
  out.matrix.fixed_lines = lines(matrix)
  wait("the matrix to be clean", function()
    out.matrix.fixed_diagnostics = diags(matrix)
    return not any_code(matrix, { 'AL501', 'AL502', 'AL503' })
  end)
  out.matrix.fixed_lines = lines(matrix)
  out.matrix.fixed_diagnostics = diags(matrix)

  step('fix on save')
  vim.g.artifact_lsp_fix_on_save = TIMEOUT -- ms; a loaded CI machine can be slow
  vim.cmd.buffer(uni)
  vim.cmd('silent write')
  out.fix_on_save = { lines = lines(uni), modified = vim.bo[uni].modified }
  vim.g.artifact_lsp_fix_on_save = nil

  step(':ArtifactFixAll outside a manifest')
  vim.cmd.edit(vim.fn.fnameescape(path('other.yml')))
  before = #out.notifications
  vim.cmd('ArtifactFixAll')
  out.fix_all_elsewhere = out.notifications[before + 1]
end

--- :ArtifactRegenerate with the fake producer (FAKE_PRODUCER_MODE comes from the environment).
local function regenerate(expect_status)
  lsp_cmd_override() -- the user's own vim.lsp.config merge
  vim.lsp.enable('artifact_lsp')

  step('docker manifest')
  -- a file the run rewrites, with unsaved changes: it must not be reloaded over them
  local functions = open('e2e/artifacts/e2e-docker/entries/template-e2e-5f1c2a90/config/functions.yml', false)
  vim.api.nvim_buf_set_lines(functions, 0, 0, false, { '# unsaved edit' })
  local docker = open('e2e/artifacts/e2e-docker/artifact.yml', true, { 'AL103', 'AL202' })
  out.before = { lines = lines(docker), diagnostics = diags(docker), clients = client_info(docker) }

  step(':ArtifactRegenerate e2e-docker')
  out.progress = {}
  vim.api.nvim_create_autocmd('LspProgress', {
    callback = function(ev)
      local value = ev.data.params.value
      table.insert(out.progress, { kind = value.kind, title = value.title, message = value.message })
    end,
  })
  local started = vim.uv.now()
  vim.cmd('ArtifactRegenerate e2e-docker')
  wait('the outcome notification', function()
    for _, n in ipairs(out.notifications) do
      if n.message:find('^artifact%-lsp: regenerat') and not n.message:find('^artifact%-lsp: regenerating') then
        return true
      end
      if n.level >= vim.log.levels.WARN then
        return true
      end
    end
    return false
  end, 60000)
  out.duration_ms = vim.uv.now() - started
  if expect_status == 'succeeded' then
    step('buffer reloaded and re-linted')
    wait('the buffer to reload from disk', function()
      return not table.concat(lines(docker), '\n'):find('runtime_stack')
    end)
    wait('diagnostics to clear the legacy keys', function()
      return not any_code(docker, { 'AL103', 'AL104', 'AL202' })
    end)
  end
  vim.wait(300) -- any duplicate showMessage would arrive by now
  out.after = { lines = lines(docker), diagnostics = diags(docker), modified = vim.bo[docker].modified }
  out.functions_first_line = lines(functions)[1]
  out.messages = vim.fn.execute('messages')
end

function scenarios.regenerate_ok()
  regenerate('succeeded')
end

function scenarios.regenerate_fail()
  regenerate('failed')
end

--- A successful run, then its review (quickfix list, :ArtifactRegenerationDiff) and its undo.
function scenarios.regenerate_review()
  regenerate('succeeded')
  step('quickfix list of the changed files')
  local qf = vim.fn.getqflist({ title = 0, items = 0 })
  out.qf = { title = qf.title, entries = {} }
  for _, item in ipairs(qf.items) do
    table.insert(out.qf.entries, { file = vim.api.nvim_buf_get_name(item.bufnr), text = item.text })
  end
  step(':ArtifactRegenerationDiff')
  vim.cmd('ArtifactRegenerationDiff e2e/artifacts/e2e-docker/artifact.yml')
  out.diff = {}
  for _, win in ipairs(vim.api.nvim_tabpage_list_wins(0)) do
    local buf = vim.api.nvim_win_get_buf(win)
    table.insert(out.diff, { name = vim.api.nvim_buf_get_name(buf), diff = vim.wo[win].diff, lines = lines(buf), modifiable = vim.bo[buf].modifiable })
  end
  vim.cmd('tabclose')
  step(':ArtifactUndoRegeneration')
  local seen = #out.notifications
  vim.cmd('ArtifactUndoRegeneration')
  wait('the undo notification', function()
    for i = seen + 1, #out.notifications do
      if out.notifications[i].message:find('undid the regeneration') or out.notifications[i].level >= vim.log.levels.WARN then
        return true
      end
    end
    return false
  end, 30000)
  out.undo = {}
  for i = seen + 1, #out.notifications do
    table.insert(out.undo, out.notifications[i].message)
  end
  out.qf_after_undo = vim.fn.getqflist({ title = 0 }).title
end

--- A hanging producer, cancelled with :ArtifactRegenerateCancel.
function scenarios.regenerate_cancel()
  lsp_cmd_override()
  vim.lsp.enable('artifact_lsp')
  local docker = open('e2e/artifacts/e2e-docker/artifact.yml', true, { 'AL103' })
  out.before = { lines = lines(docker) }
  vim.cmd('ArtifactRegenerate')
  -- the script wipes the fixture folder, then the producer writes functions.yml and hangs
  local staged = path('e2e/artifacts/e2e-docker/entries/template-e2e-5f1c2a90/config/functions.yml')
  wait('the producer to hang', function()
    return vim.uv.fs_stat(path('e2e/artifacts/e2e-docker/artifact.yml')) == nil and vim.uv.fs_stat(staged) ~= nil
  end)
  step(':ArtifactRegenerateCancel')
  vim.cmd('ArtifactRegenerateCancel')
  wait('the cancelled notification', function()
    for _, n in ipairs(out.notifications) do
      if n.level >= vim.log.levels.WARN then
        return true
      end
    end
    return false
  end, 30000)
  out.after = { lines = lines(docker) }
end

---------------------------------------------------------------------------- run

local name = env.ARTIFACT_NVIM_SCENARIO
local ok, err = xpcall(function()
  assert(repo ~= '' and server_cmd, 'ARTIFACT_NVIM_REPO and ARTIFACT_NVIM_CMD must be set')
  assert(scenarios[name], 'unknown scenario ' .. tostring(name))()
end, debug.traceback)
out.ok = ok
out.error = not ok and tostring(err) or nil
local file = assert(io.open(out_path, 'w'))
file:write(vim.json.encode(out))
file:close()
vim.cmd('qa!')
