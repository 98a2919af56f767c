"""artifact-lsp: keep the ESB deploy-artifact contract true in manifests and fixtures."""

__version__ = "0.1.0"
