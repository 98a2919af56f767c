-- tests/test_yamlls.py's Neovim side: artifact-lsp and yaml-language-server (with the contract
-- schema the way docs/schema.md wires it) in one headless Neovim 0.11, set up one of three ways:
--   naive     both enabled, nothing else (what the issue observed: every legacy key 3 times)
--   recipe    editors/neovim/recipes/yamlls.lua loaded as it is (yamlls skips our three files)
--   noschema  yamlls attached without the contract schema (the VS Code recipe's effect)
-- It records what a user would see on the docker manifest: every diagnostic with its client,
-- the clients attached, how many clients answer a hover on a legacy key and a completion in an
-- entry; and, to show yamlls is alive, its diagnostics on a broken other YAML file.
--
-- Environment: YAMLLS_MODE, YAMLLS_REPO, YAMLLS_OUT, YAMLLS_ARTIFACT_CMD and YAMLLS_CMD (JSON
-- lists), YAMLLS_SCHEMA (the schema file), YAMLLS_RECIPE (the recipe file).

local env = vim.env
local out = { steps = {} }
local TIMEOUT = 30000

local function finish(ok, err)
  out.ok = ok
  out.error = err
  local file = assert(io.open(env.YAMLLS_OUT, 'w'))
  file:write(vim.json.encode(out))
  file:close()
  vim.cmd('qall!')
end

local function step(name)
  table.insert(out.steps, name)
end

local function wait(what, cond)
  if not vim.wait(TIMEOUT, cond, 20) then
    error('timed out waiting for ' .. what, 2)
  end
end

local function names(buf)
  local list = {}
  for _, client in ipairs(vim.lsp.get_clients({ bufnr = buf })) do
    list[#list + 1] = client.name
  end
  table.sort(list)
  return list
end

local function client_of_namespace(ns)
  for name, id in pairs(vim.api.nvim_get_namespaces()) do
    if id == ns then
      local client_id = name:match('^vim%.lsp%.[%w_%-]+%.(%d+)')
      local client = client_id and vim.lsp.get_client_by_id(tonumber(client_id))
      return client and client.name or name
    end
  end
  return tostring(ns)
end

local function diags(buf)
  local list = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    list[#list + 1] = {
      client = client_of_namespace(d.namespace),
      source = d.source,
      code = d.code and tostring(d.code) or vim.NIL,
      lnum = d.lnum,
      col = d.col,
      message = d.message,
    }
  end
  return list
end

local function count_from(buf, name)
  local n = 0
  for _, d in ipairs(diags(buf)) do
    if d.client == name then
      n = n + 1
    end
  end
  return n
end

local function answers(buf, method, params)
  local results = vim.lsp.buf_request_sync(buf, method, params, TIMEOUT) or {}
  local who = {}
  for client_id, res in pairs(results) do
    local result = res.result
    local empty = result == nil
      or (method == 'textDocument/completion' and #((result.items or result) or {}) == 0)
    if not empty then
      who[#who + 1] = vim.lsp.get_client_by_id(client_id).name
    end
  end
  table.sort(who)
  return who
end

local ok, err = pcall(function()
  local mode = env.YAMLLS_MODE
  local repo = env.YAMLLS_REPO
  vim.g.artifact_lsp_cmd = vim.json.decode(env.YAMLLS_ARTIFACT_CMD)
  local yaml_settings = { validate = true, hover = true, completion = true, schemaStore = { enable = false } }
  if mode ~= 'noschema' then
    -- docs/schema.md's mapping, for both files
    yaml_settings.schemas = {
      [vim.uri_from_fname(env.YAMLLS_SCHEMA)] = { '**/artifact.yml' },
    }
  end
  -- what nvim-lspconfig's lsp/yamlls.lua gives, with this machine's yaml-language-server
  vim.lsp.config('yamlls', {
    cmd = vim.json.decode(env.YAMLLS_CMD),
    filetypes = { 'yaml' },
    root_markers = { '.git' },
    settings = { yaml = yaml_settings, redhat = { telemetry = { enabled = false } } },
  })
  if mode == 'recipe' then
    dofile(env.YAMLLS_RECIPE)
  else
    vim.lsp.enable({ 'yamlls', 'artifact_lsp' })
  end

  step('yamlls is alive on other YAML')
  vim.cmd.edit(vim.fn.fnameescape(repo .. '/broken.yml'))
  local other = vim.api.nvim_get_current_buf()
  wait('yamlls on broken.yml', function()
    return count_from(other, 'yamlls') > 0
  end)
  out.other_clients = names(other)
  out.other = diags(other)

  step('open the manifest')
  vim.cmd.edit(vim.fn.fnameescape(repo .. '/e2e/artifacts/e2e-docker/artifact.yml'))
  local buf = vim.api.nvim_get_current_buf()
  wait('artifact-lsp diagnostics', function()
    return count_from(buf, 'artifact_lsp') > 0
  end)
  local attached = names(buf)
  if vim.tbl_contains(attached, 'yamlls') then
    -- yamlls reports what its schema asserts: wait for it (a legacy key's `not: {}`)
    if mode ~= 'noschema' then
      wait('yamlls schema diagnostics', function()
        return count_from(buf, 'yamlls') > 0
      end)
    end
    -- and a round trip to it, so whatever it publishes for this version is in
    vim.lsp.buf_request_sync(buf, 'textDocument/documentSymbol', { textDocument = vim.lsp.util.make_text_document_params(buf) }, TIMEOUT)
    vim.wait(0)
  end
  out.clients = attached
  out.diagnostics = diags(buf)

  step('hover on a legacy key')
  local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  local prewarm
  for i, line in ipairs(lines) do
    if line:match('^%s+image_prewarm:') then
      prewarm = i - 1
    end
  end
  out.hover = answers(buf, 'textDocument/hover', {
    textDocument = vim.lsp.util.make_text_document_params(buf),
    position = { line = prewarm, character = 6 },
  })

  step('completion in an entry')
  -- the entry loses its runtime_config_dir line: an empty line where that key is due
  local at
  for i, line in ipairs(lines) do
    if line:match('^%s+runtime_config_dir:') then
      at = i - 1
    end
  end
  vim.api.nvim_buf_set_lines(buf, at, at + 1, false, { '    ' })
  out.completion = answers(buf, 'textDocument/completion', {
    textDocument = vim.lsp.util.make_text_document_params(buf),
    position = { line = at, character = 4 },
  })
end)

finish(ok, ok and vim.NIL or tostring(err))
