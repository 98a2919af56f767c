"""Start the artifact-lsp language server that ships inside the VS Code extension.

The extension runs ``<python> bundled/tool/server.py`` with the first suitable Python it finds
(Python 3.11 or newer; see src/resolve.ts). Next to this folder, ``bundled/libs`` holds the
``artifact_lsp`` package and its pure-Python dependencies (pygls, lsprotocol, cattrs, attrs,
typing_extensions and PyYAML without its C extension), installed by scripts/bundle.py.

``ARTIFACT_LSP_IMPORT_STRATEGY`` (the ``artifactLsp.server.importStrategy`` setting):

- ``bundled`` (default): the bundled libraries come first on ``sys.path``. One exception:
  when the interpreter's own PyYAML (6.0 or newer) was built with libyaml, that one is used,
  so the engine gets libyaml's parser; otherwise the bundled pure-Python PyYAML is used.
- ``fromEnvironment``: the interpreter's installed packages come first (its own
  ``artifact_lsp`` when it has one); the bundled libraries fill in whatever is missing.

The folder this script is in and the working folder are never put on ``sys.path``: a
workspace's own ``yaml.py`` or ``artifact_lsp/`` is never imported.

Written so that any Python can read it: an old one gets a one-line error (exit 3).
"""

import os
import sys

MINIMUM = (3, 11)
EXIT_UNSUITABLE = 3


def _fail(message, code):
    sys.stderr.write("artifact-lsp (bundled): " + message + "\n")
    sys.stderr.flush()
    sys.exit(code)


if sys.version_info < MINIMUM:
    _fail(
        "Python %d.%d or newer is needed, but %s is Python %d.%d.%d. Install a newer Python or set "
        '"artifactLsp.server.interpreter" to one.' % (MINIMUM + (sys.executable,) + tuple(sys.version_info[:3])),
        EXIT_UNSUITABLE,
    )

HERE = os.path.dirname(os.path.abspath(__file__))
LIBS = os.path.join(os.path.dirname(HERE), "libs")
STRATEGIES = ("bundled", "fromEnvironment")


def _version_tuple(text):
    parts = []
    for piece in str(text).split("."):
        digits = ""
        for ch in piece:
            if not ch.isdigit():
                break
            digits += ch
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


def _forget_yaml():
    for name in list(sys.modules):
        if name in ("yaml", "_yaml") or name.startswith(("yaml.", "_yaml.")):
            del sys.modules[name]


def _environment_libyaml():
    """The interpreter's own PyYAML when it has libyaml (and is 6.0 or newer), else None.

    Imported before the bundled libraries are put on the path; a PyYAML that does not qualify
    is forgotten again, so the bundled one is imported instead.
    """
    if os.environ.get("ARTIFACT_LSP_BUNDLED_YAML") == "1":  # benchmarks: force the bundled (pure) one
        return None
    try:
        import yaml
    except Exception:  # absent, or broken: the bundled one it is
        _forget_yaml()
        return None
    if getattr(yaml, "__with_libyaml__", False) and _version_tuple(getattr(yaml, "__version__", "0")) >= (6, 0):
        return yaml
    _forget_yaml()
    return None


def setup_path(strategy):
    """Arrange ``sys.path`` for ``strategy``; returns the PyYAML taken from the environment (or None)."""
    # never the script's folder (or the working folder) ahead of the libraries
    sys.path[:] = [p for p in sys.path if p not in ("", ".", HERE) and os.path.abspath(p) != HERE]
    if strategy == "fromEnvironment":
        sys.path.append(LIBS)
        return None
    borrowed = _environment_libyaml()
    sys.path.insert(0, LIBS)
    return borrowed


def describe():
    """One line for the extension's output channel: which server, Python and YAML parser."""
    import yaml

    import artifact_lsp

    origin = "bundled" if os.path.abspath(artifact_lsp.__file__).startswith(LIBS + os.sep) else "environment"
    yaml_origin = "bundled" if os.path.abspath(yaml.__file__).startswith(LIBS + os.sep) else "environment"
    parser = "libyaml (C)" if getattr(yaml, "__with_libyaml__", False) else "pure Python"
    return "artifact-lsp %s (%s, %s) on Python %s (%s); PyYAML %s (%s): %s parser" % (
        artifact_lsp.__version__,
        origin,
        os.path.dirname(os.path.abspath(artifact_lsp.__file__)),
        ".".join(str(n) for n in sys.version_info[:3]),
        sys.executable,
        yaml.__version__,
        yaml_origin,
        parser,
    )


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    strategy = os.environ.get("ARTIFACT_LSP_IMPORT_STRATEGY") or "bundled"
    if strategy not in STRATEGIES:
        _fail("unknown ARTIFACT_LSP_IMPORT_STRATEGY %r (expected bundled or fromEnvironment)" % strategy, 2)
    if not os.path.isdir(os.path.join(LIBS, "artifact_lsp")):
        _fail("the bundled libraries are missing (%s): reinstall the extension." % LIBS, 1)
    setup_path(strategy)
    try:
        from artifact_lsp.cli import main as cli_main

        line = describe()
    except ImportError as exc:
        _fail("cannot start the server: %s (import strategy %s, sys.path %s)" % (exc, strategy, sys.path), 1)
    sys.stderr.write(line + "\n")
    sys.stderr.flush()
    if "--describe" in argv:  # tests and troubleshooting: what would run, then stop
        sys.stdout.write(line + "\n")
        return 0
    return cli_main(["serve"] + argv)


if __name__ == "__main__":
    sys.exit(main())
