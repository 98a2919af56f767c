-- artifact-lsp commands for Neovim 0.11+:
--
--   :ArtifactRegenerate [ENV...]   run the repository's fixture regenerate script through the
--                                  server (`artifact-lsp.regenerate`): progress and the outcome
--                                  are shown with vim.notify; open fixtures reload afterwards
--   :ArtifactRegenerateCancel      cancel the running regeneration (the fixtures are restored)
--   :ArtifactRegenerationDiff [F]  after a run that changed files (listed in the quickfix list):
--                                  diff a file (the quickfix entry under the cursor / the current
--                                  one, the current buffer's, or F) against its pre-run snapshot
--   :ArtifactUndoRegeneration[!]   put back what the fixtures held before the last successful
--                                  run (`artifact-lsp.undoRegeneration`; ! even over later edits)
--   :ArtifactFixAll                remove every legacy key in the current buffer (`artifact-lsp.fixAll`)
--
-- Options (set them in init.lua):
--   vim.g.artifact_lsp_progress = false     no progress notifications
--   vim.g.artifact_lsp_fix_on_save = true   remove legacy keys when a served buffer is written
--                                           (a number: how many ms to wait for the server, default 2000)

if vim.g.loaded_artifact_lsp then
  return
end
vim.g.loaded_artifact_lsp = 1
if vim.fn.has('nvim-0.11') == 0 then
  vim.notify_once('artifact-lsp: the Neovim plugin needs Neovim 0.11 or newer', vim.log.levels.WARN)
  return
end

local NAME = 'artifact_lsp' -- the client name (the vim.lsp.config name)
local REGENERATE = 'artifact-lsp.regenerate'
local FIX_ALL = 'artifact-lsp.fixAll'
local UNDO = 'artifact-lsp.undoRegeneration'
local TOKEN_PREFIX = 'artifact-lsp-regenerate-'
local REPORT_EVERY_MS = 500 -- at most two progress notifications a second
local FIX_ALL_KIND = 'source.fixAll.artifact-lsp'
local FIX_ON_SAVE_TIMEOUT_MS = 2000

local levels = vim.log.levels

local function notify(message, level)
  vim.notify('artifact-lsp: ' .. message, level or levels.INFO, { title = 'artifact-lsp' })
end

local function client_for(bufnr)
  return vim.lsp.get_clients({ bufnr = bufnr, name = NAME })[1]
end

--- The client for a regeneration: the current buffer's, else one whose root holds the current
--- folder, else the only one running.
local function regenerate_client(bufnr)
  local client = client_for(bufnr)
  if client then
    return client
  end
  local clients = vim.lsp.get_clients({ name = NAME })
  local cwd = vim.fs.normalize(vim.fn.getcwd())
  for _, c in ipairs(clients) do
    local root = c.root_dir and vim.fs.normalize(c.root_dir)
    if root and (cwd == root or vim.startswith(cwd, root .. '/')) then
      return c
    end
  end
  if #clients == 1 then
    return clients[1]
  end
end

---------------------------------------------------------------------------- showMessage dedupe
-- The server also announces a regeneration's outcome with window/showMessage (for runs started
-- from its code lens). While :ArtifactRegenerate waits for its result, those messages are held;
-- the one that repeats the outcome is dropped, any other is shown as usual.

local pending = {} ---@type table<integer, {held: table[]}[]> client id -> runs waiting for a result

local function install_show_message_filter(client)
  if client._artifact_lsp_filter then
    return
  end
  client._artifact_lsp_filter = true
  local method = 'window/showMessage'
  local own = client.handlers[method]
  client.handlers[method] = function(err, params, ctx, config)
    local runs = pending[client.id]
    if runs and #runs > 0 and params and type(params.message) == 'string' then
      table.insert(runs[#runs].held, { err, params, ctx, config })
      return vim.NIL
    end
    return (own or vim.lsp.handlers[method])(err, params, ctx, config)
  end
  client._artifact_lsp_show = function(...)
    return (own or vim.lsp.handlers[method])(...)
  end
end

local function finish_run(client, run, outcome_message)
  local runs = pending[client.id] or {}
  for i, r in ipairs(runs) do
    if r == run then
      table.remove(runs, i)
      break
    end
  end
  local duplicate = outcome_message and ('artifact-lsp: ' .. outcome_message) or nil
  for _, args in ipairs(run.held) do
    local message = args[2].message
    if not (duplicate and vim.startswith(message, duplicate)) and client._artifact_lsp_show then
      client._artifact_lsp_show(unpack(args, 1, 4))
    end
  end
end

---------------------------------------------------------------------------- progress

local running = {} ---@type table<string, integer> progress token -> client id
local last_shown = {} ---@type table<string, integer> progress token -> when a report was last shown
local latest = {} ---@type table<string, string> progress token -> newest report not shown yet

local function show_progress(title, message)
  if vim.g.artifact_lsp_progress ~= false then
    notify(title .. (message and message ~= '' and (': ' .. message) or ''))
  end
end

vim.api.nvim_create_autocmd('LspProgress', {
  group = vim.api.nvim_create_augroup('artifact_lsp.progress', {}),
  callback = function(ev)
    local data = ev.data or {}
    local params = data.params or {}
    local token, value = params.token, params.value
    if type(token) ~= 'string' or not vim.startswith(token, TOKEN_PREFIX) or type(value) ~= 'table' then
      return
    end
    local client = vim.lsp.get_client_by_id(data.client_id)
    if not client or client.name ~= NAME then
      return
    end
    local title = value.title or 'Regenerate fixtures'
    if value.kind == 'begin' then
      running[token], last_shown[token] = client.id, vim.uv.now()
      show_progress(title, value.message)
    elseif value.kind == 'report' and running[token] then
      -- the script's output can be thousands of lines: show the newest every REPORT_EVERY_MS
      local wait = REPORT_EVERY_MS - (vim.uv.now() - last_shown[token])
      if wait <= 0 then
        last_shown[token], latest[token] = vim.uv.now(), nil
        show_progress(title, value.message)
      else
        local scheduled = latest[token] ~= nil
        latest[token] = value.message or ''
        if not scheduled then
          vim.defer_fn(function()
            local message = latest[token]
            if running[token] and message then
              last_shown[token], latest[token] = vim.uv.now(), nil
              show_progress(title, message)
            end
          end, wait)
        end
      end
    elseif value.kind == 'end' then -- the outcome is announced on its own
      running[token], last_shown[token], latest[token] = nil, nil, nil
    end
  end,
})

---------------------------------------------------------------------------- reload after a run

local function stat_key(path)
  local stat = vim.uv.fs_stat(path)
  if not stat then
    return nil
  end
  return table.concat({ stat.ino, stat.size, stat.mtime.sec, stat.mtime.nsec }, ':')
end

--- The loaded file buffers under `root`, with what their files look like on disk now.
local function snapshot_buffers(root)
  local prefix = root and (vim.fs.normalize(root) .. '/') or nil
  local seen = {}
  for _, buf in ipairs(vim.api.nvim_list_bufs()) do
    local name = vim.api.nvim_buf_get_name(buf)
    if
      vim.api.nvim_buf_is_loaded(buf)
      and vim.bo[buf].buftype == ''
      and name ~= ''
      and (prefix == nil or vim.startswith(vim.fs.normalize(name), prefix))
    then
      seen[buf] = stat_key(name) or false
    end
  end
  return seen
end

--- Reload the buffers whose files the regeneration rewrote (like :checktime, without its
--- prompts); a buffer with unsaved changes is left alone, with a warning.
local function reload_changed_buffers(before, warn)
  local kept = {}
  for buf, key in pairs(before) do
    if vim.api.nvim_buf_is_loaded(buf) then
      local name = vim.api.nvim_buf_get_name(buf)
      local now = stat_key(name)
      if now and now ~= key then
        if vim.bo[buf].modified then
          kept[#kept + 1] = vim.fn.fnamemodify(name, ':~:.')
        else
          vim.api.nvim_buf_call(buf, function()
            vim.cmd('silent! edit')
          end)
        end
      end
    end
  end
  if warn and #kept > 0 then
    table.sort(kept)
    notify('regenerated on disk but modified here, not reloaded: ' .. table.concat(kept, ', '), levels.WARN)
  end
end

---------------------------------------------------------------------------- commands

---------------------------------------------------------------------------- review and undo

local last_review = nil ---@type {files: table[], root: string?}?

local function str(value)
  return type(value) == 'string' and value or nil
end

--- The files a successful run changed, into the quickfix list; returns how many.
local function set_review(client, result)
  local review = type(result.review) == 'table' and result.review or nil
  local files = review and type(review.files) == 'table' and review.files or {}
  if #files == 0 then
    return 0
  end
  last_review = { files = files, root = client.root_dir }
  local items = {}
  for i, f in ipairs(files) do
    items[#items + 1] = {
      filename = str(f.after) or str(f.before),
      lnum = 1,
      text = ('%s: %s'):format(f.change, f.path),
      user_data = i,
    }
  end
  vim.fn.setqflist({}, ' ', { title = 'artifact-lsp: regeneration changes', items = items })
  return #files
end

--- The file to diff: `arg` (its path from the root, or a file name), else the quickfix entry
--- under the cursor (in the quickfix window), else the current buffer's file, else the current
--- quickfix entry.
local function review_file(arg)
  local files = last_review.files
  local function find(name)
    local full = vim.fs.normalize(vim.fn.fnamemodify(name, ':p'))
    for _, f in ipairs(files) do
      if f.path == name or (str(f.after) and vim.fs.normalize(f.after) == full) or (str(f.before) and vim.fs.normalize(f.before) == full) then
        return f
      end
    end
  end
  if arg and arg ~= '' then
    return find(arg)
  end
  local qf = vim.fn.getqflist({ title = 0, idx = 0, items = 0 })
  local ours = qf.title == 'artifact-lsp: regeneration changes'
  if ours and vim.bo.buftype == 'quickfix' then
    local item = qf.items[vim.fn.line('.')]
    return item and files[item.user_data]
  end
  local name = vim.api.nvim_buf_get_name(0)
  local here = name ~= '' and find(name)
  if here then
    return here
  end
  if ours and qf.items[qf.idx] then
    return files[qf.items[qf.idx].user_data]
  end
end

local function scratch(lines, name, filetype)
  vim.api.nvim_buf_set_lines(0, 0, -1, false, lines)
  vim.bo.buftype, vim.bo.bufhidden, vim.bo.swapfile = 'nofile', 'wipe', false
  vim.bo.modifiable, vim.bo.readonly = false, true
  pcall(vim.api.nvim_buf_set_name, 0, name)
  vim.bo.filetype = filetype
  vim.bo.modifiable = false
end

local function review_diff(opts)
  if not last_review then
    notify('no regeneration to review (run :ArtifactRegenerate first)', levels.WARN)
    return
  end
  local f = review_file(opts.args)
  if not f then
    notify('not a file the last regeneration changed: ' .. (opts.args ~= '' and opts.args or vim.api.nvim_buf_get_name(0)), levels.WARN)
    return
  end
  local before, after = str(f.before), str(f.after)
  local filetype = f.path:match('%.json$') and 'json' or 'yaml'
  vim.cmd('tabnew')
  if after then
    vim.cmd('edit ' .. vim.fn.fnameescape(after))
  else
    scratch({}, 'artifact-lsp://removed/' .. f.path, filetype)
  end
  vim.cmd('diffthis')
  vim.cmd('leftabove vnew')
  -- the snapshot copy, read into a scratch buffer: reviewing never edits the snapshot
  local lines = before and vim.fn.readfile(before) or {}
  scratch(lines, 'artifact-lsp://before/' .. f.path, filetype)
  vim.cmd('diffthis')
  vim.cmd('wincmd l')
end

local function undo(opts)
  local bufnr = vim.api.nvim_get_current_buf()
  local client = regenerate_client(bufnr)
  if not client or not client.root_dir then
    notify('no artifact-lsp client is running here', levels.ERROR)
    return
  end
  local arg = { uri = vim.uri_from_fname(client.root_dir), force = opts.bang or nil }
  install_show_message_filter(client)
  local run = { held = {} }
  pending[client.id] = pending[client.id] or {}
  table.insert(pending[client.id], run)
  local before = snapshot_buffers(client.root_dir)
  client:exec_cmd({ title = 'Undo regeneration', command = UNDO, arguments = { arg } }, { bufnr = bufnr }, function(err, result)
    if err then
      finish_run(client, run, nil)
      notify('undo failed: ' .. (err.message or vim.inspect(err)), levels.ERROR)
      return
    end
    result = type(result) == 'table' and result or {}
    finish_run(client, run, result.message)
    if result.status == 'undone' then
      reload_changed_buffers(before, true)
      last_review = nil
      local qf = vim.fn.getqflist({ title = 0 })
      if qf.title == 'artifact-lsp: regeneration changes' then
        vim.fn.setqflist({}, 'r', { title = 'artifact-lsp: regeneration undone', items = {} })
      end
      notify(result.message or 'undone')
    else
      local message = (result.message or 'nothing to undo'):gsub('use %-%-force', 'use :ArtifactUndoRegeneration!')
      notify(message, levels.WARN)
    end
  end)
end

local function regenerate(opts)
  local bufnr = vim.api.nvim_get_current_buf()
  local client = regenerate_client(bufnr)
  if not client then
    notify('no artifact-lsp client is running here: open an artifact.yml of the repository first', levels.ERROR)
    return
  end
  local uri
  if client_for(bufnr) then
    uri = vim.uri_from_bufnr(bufnr)
  elseif client.root_dir then
    uri = vim.uri_from_fname(client.root_dir)
  end
  local args = { targets = opts.fargs }
  if uri then
    args.uri = uri
  end
  install_show_message_filter(client)
  local run = { held = {} }
  pending[client.id] = pending[client.id] or {}
  table.insert(pending[client.id], run)
  local targets = #opts.fargs > 0 and table.concat(opts.fargs, ' ') or 'every environment'
  notify('regenerating ' .. targets .. '…')
  local before = snapshot_buffers(client.root_dir)
  client:exec_cmd({ title = 'Regenerate fixtures', command = REGENERATE, arguments = { args } }, { bufnr = bufnr }, function(err, result)
    if err then
      finish_run(client, run, nil)
      notify('regeneration failed: ' .. (err.message or vim.inspect(err)), levels.ERROR)
      return
    end
    result = type(result) == 'table' and result or {}
    finish_run(client, run, result.message)
    local message = result.message or 'no result'
    local status = result.status
    -- rewritten files, or restored ones (same bytes, new times): reload what is open
    reload_changed_buffers(before, status == 'succeeded')
    if status == 'succeeded' then
      local n = set_review(client, result)
      if n > 0 then
        message = message
          .. ('\n%d file%s changed (quickfix list): :copen, :ArtifactRegenerationDiff to diff, :ArtifactUndoRegeneration to undo'):format(
            n,
            n == 1 and '' or 's'
          )
      end
      notify(message, levels.INFO)
      return
    end
    local lines = { message }
    for _, line in ipairs(result.stderrTail or {}) do
      lines[#lines + 1] = '  ' .. line
    end
    notify(table.concat(lines, '\n'), (status == 'cancelled' or status == 'busy') and levels.WARN or levels.ERROR)
  end)
end

local function cancel()
  local any = false
  for token, client_id in pairs(running) do
    local client = vim.lsp.get_client_by_id(client_id)
    if client then
      client:notify('window/workDoneProgress/cancel', { token = token })
      any = true
    end
  end
  if not any then
    notify('no regeneration is running', levels.WARN)
  end
end

local function fix_all()
  local bufnr = vim.api.nvim_get_current_buf()
  local client = client_for(bufnr)
  if not client then
    notify('this buffer is not an artifact.yml, artifact.json or test_matrix.yaml served by artifact-lsp', levels.WARN)
    return
  end
  client:exec_cmd(
    { title = 'Remove all legacy keys', command = FIX_ALL, arguments = { vim.uri_from_bufnr(bufnr) } },
    { bufnr = bufnr },
    function(err, result)
      if err then
        notify('fix-all failed: ' .. (err.message or vim.inspect(err)), levels.ERROR)
        return
      end
      result = type(result) == 'table' and result or {}
      if result.applied then
        local n = tonumber(result.fixed) or 0
        notify(('removed %d legacy key%s'):format(n, n == 1 and '' or 's'))
      elseif result.message and result.message ~= '' then
        notify(result.message, result.message == 'nothing to fix' and levels.INFO or levels.WARN)
      end
    end
  )
end

--- Fix-on-save: ask for the source.fixAll action synchronously (the edit must land before the
--- write) and apply it. A slow answer is not waited for: the file is then written as it is.
local function fix_on_save(ev)
  local option = vim.g.artifact_lsp_fix_on_save
  if not option or option == 0 then
    return
  end
  local timeout = type(option) == 'number' and option or FIX_ON_SAVE_TIMEOUT_MS
  local client = client_for(ev.buf)
  if not client then
    return
  end
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(ev.buf) },
    range = { start = { line = 0, character = 0 }, ['end'] = { line = 0, character = 0 } },
    context = { only = { FIX_ALL_KIND }, diagnostics = {}, triggerKind = 1 },
  }
  local response = client:request_sync('textDocument/codeAction', params, timeout, ev.buf)
  if not response or response.err or type(response.result) ~= 'table' then
    return
  end
  for _, action in ipairs(response.result) do
    if action.kind == FIX_ALL_KIND and action.edit then
      vim.lsp.util.apply_workspace_edit(action.edit, client.offset_encoding)
    end
  end
end

vim.api.nvim_create_autocmd('BufWritePre', {
  group = vim.api.nvim_create_augroup('artifact_lsp.fix_on_save', {}),
  callback = fix_on_save,
})

--- Environment names for completion: the folders holding an artifact.yml under the root.
local function complete_targets(lead)
  local client = regenerate_client(vim.api.nvim_get_current_buf())
  local root = client and client.root_dir
  if not root then
    return {}
  end
  local names, seen = {}, {}
  local skip = { ['.git'] = true, ['node_modules'] = true, ['.venv'] = true, ['.artifact-lsp'] = true }
  local iter = vim.fs.dir(root, {
    depth = 6,
    skip = function(dir)
      return not skip[vim.fs.basename(dir)]
    end,
  })
  for rel, kind in iter do
    if kind == 'file' and vim.fs.basename(rel) == 'artifact.yml' then
      local env = vim.fs.basename(vim.fs.dirname(rel))
      if env ~= '.' and env ~= '' and not seen[env] and vim.startswith(env, lead) then
        seen[env] = true
        names[#names + 1] = env
      end
    end
  end
  table.sort(names)
  return names
end

vim.api.nvim_create_user_command('ArtifactRegenerate', regenerate, {
  nargs = '*',
  complete = complete_targets,
  desc = 'artifact-lsp: regenerate fixtures (all, or the given environments)',
})
vim.api.nvim_create_user_command('ArtifactRegenerateCancel', cancel, {
  desc = 'artifact-lsp: cancel the running regeneration (fixtures are restored)',
})
vim.api.nvim_create_user_command('ArtifactRegenerationDiff', review_diff, {
  nargs = '?',
  complete = function(lead)
    local out = {}
    for _, f in ipairs(last_review and last_review.files or {}) do
      if vim.startswith(f.path, lead) then
        out[#out + 1] = f.path
      end
    end
    return out
  end,
  desc = 'artifact-lsp: diff a file the last regeneration changed against its pre-run snapshot',
})
vim.api.nvim_create_user_command('ArtifactUndoRegeneration', undo, {
  bang = true,
  desc = 'artifact-lsp: undo the last successful regeneration (! even over later edits)',
})
vim.api.nvim_create_user_command('ArtifactFixAll', fix_all, {
  desc = 'artifact-lsp: remove every legacy key in this buffer',
})
