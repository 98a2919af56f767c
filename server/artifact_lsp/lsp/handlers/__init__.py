"""The LSP handlers, one module per feature; ``routes.py`` wires them to their methods.

A handler module never imports another handler module: what two features share lives in the
package's shared modules (``server``, ``scheduler``, ``convert``, ``commands``).
"""
