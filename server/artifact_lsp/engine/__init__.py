"""The engine: rules, the YAML position model and the fix engine.

Plain Python with no LSP types (no pygls, no lsprotocol): the CLI and the language server
are thin adapters over what this package returns.
"""
