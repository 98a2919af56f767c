-- yaml-language-server next to artifact-lsp (Neovim 0.11+; docs/yamlls.md).
--
-- artifact-lsp owns artifact.yml, artifact.json and test_matrix.yaml: yamlls never attaches to
-- them, so each legacy key is reported once (not again by the contract schema's `not: {}` and
-- its deprecationMessage), and hover, completion and the outline come from one server. Every
-- other YAML file keeps yamlls and whatever `yaml.schemas` you give it, the contract schema
-- included (for a checkout where artifact-lsp does not run). Merged into your yamlls config
-- (nvim-lspconfig's lsp/yamlls.lua, or your own cmd/filetypes/settings).
local artifact_files = { ['artifact.yml'] = true, ['artifact.json'] = true, ['test_matrix.yaml'] = true }

vim.lsp.config('yamlls', {
  root_dir = function(bufnr, on_dir)
    local name = vim.api.nvim_buf_get_name(bufnr)
    if artifact_files[vim.fs.basename(name)] then
      return -- artifact-lsp's file: no yamlls client
    end
    on_dir(vim.fs.root(bufnr, { '.git' }) or vim.fs.dirname(name))
  end,
})

vim.lsp.enable({ 'yamlls', 'artifact_lsp' })
