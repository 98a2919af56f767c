/**
 * Which command starts the artifact-lsp language server.
 *
 * Pure logic: everything that touches the file system, PATH, the Python extension or a child
 * process comes in through `ResolveContext` / `ResolveDeps`, so the order and the error
 * messages are unit-tested without VS Code (test/resolve.test.ts).
 *
 * The extension carries the server: `bundled/tool/server.py` starts the `artifact_lsp` package
 * from `bundled/libs` (with its pure-Python dependencies) on any Python >= 3.11. The order:
 *
 * 1. `artifactLsp.server.path`: an `artifact-lsp` executable, run as `<path> serve`;
 * 2. with `artifactLsp.server.importStrategy: "fromEnvironment"` and no interpreter setting:
 *    `artifact-lsp` on PATH (an installed server, e.g. `uv tool install ./artifact_lsp-*.whl`);
 * 3. a Python, the first suitable (>= 3.11) of: `artifactLsp.server.interpreter`, the
 *    interpreter the Python extension (ms-python.python) has selected, `python3` and `python`
 *    on PATH; it runs `<python> <extension>/bundled/tool/server.py`, which puts the bundled
 *    libraries first (`bundled`, the default) or last (`fromEnvironment`: that Python's own
 *    `artifact_lsp` and dependencies first).
 *
 * A setting that is set but wrong is an error (with the fix), never silently skipped: the
 * user asked for that server. Nothing here ever runs in, or writes to, the workspace: in an
 * untrusted workspace, the workspace's values of the settings are already dropped by VS Code
 * (restricted configurations), and the Python extension's interpreter (often the workspace's
 * own `.venv`) is not used.
 */

import * as nodePath from 'node:path';

export const SERVE_ARGS = ['serve'];
export const EXECUTABLE = 'artifact-lsp';
export const MINIMUM_PYTHON: readonly [number, number] = [3, 11];
/** what the launcher reads (bundled/tool/server.py) */
export const STRATEGY_ENV = 'ARTIFACT_LSP_IMPORT_STRATEGY';

export type ImportStrategy = 'bundled' | 'fromEnvironment';

export interface ServerSettings {
  /** `artifactLsp.server.path` */
  path?: string | null;
  /** `artifactLsp.server.interpreter` */
  interpreter?: string | null;
  /** `artifactLsp.server.importStrategy` */
  importStrategy?: string | null;
}

/** What the Python extension said (looked up by the caller, only when it is needed). */
export interface PythonExtensionInterpreter {
  /** the selected interpreter's executable, when there is one */
  path?: string;
  /** why there is none (not installed, no interpreter selected...) */
  note?: string;
}

export interface ResolveContext {
  settings: ServerSettings;
  /** file-system paths of the workspace folders, first one first */
  workspaceFolders: readonly string[];
  /** `vscode.workspace.isTrusted` */
  trusted: boolean;
  /** the user's home folder, for `~` and `${userHome}` */
  home: string;
  /** absolute path of `bundled/tool/server.py` in the installed extension */
  launcher: string;
}

export interface PythonProbe {
  ok: boolean;
  /** [major, minor, micro] when the interpreter ran */
  version?: [number, number, number];
  /** can it import `artifact_lsp` by itself (only asked of Python >= 3.11) */
  hasArtifactLsp?: boolean;
  /** what went wrong (the last line of stderr, a spawn error...) */
  detail?: string;
}

export interface ResolveDeps {
  /** a regular file this user may execute */
  isExecutableFile(path: string): boolean;
  /** the full path of an executable on PATH, or undefined */
  which(name: string): string | undefined;
  /** run the interpreter: its version, and whether it has `artifact_lsp` */
  probePython(python: string): Promise<PythonProbe>;
  /** the Python extension's selected interpreter (asked only when the order gets there) */
  pythonExtension(): Promise<PythonExtensionInterpreter>;
}

export type ServerSource = 'server.path' | 'PATH' | 'server.interpreter' | 'python extension' | 'python on PATH';

export interface ServerCommand {
  command: string;
  args: string[];
  /** extra environment for the process */
  env: Record<string, string>;
  source: ServerSource;
  /** `bundled`: the extension's own server (its version is the extension's) */
  strategy: ImportStrategy | 'executable';
  /** for the output channel: what was chosen and why */
  description: string;
}

export type Resolution =
  | { ok: true; server: ServerCommand; tried: string[] }
  | { ok: false; message: string; tried: string[] };

export const INSTALL_PYTHON_HINT =
  'Install Python 3.11 or newer (python.org, or your system\'s package, e.g. "sudo apt install python3" on Debian/Ubuntu, ' +
  '"brew install python@3.12" on macOS, "winget install Python.Python.3.12" on Windows), ' +
  'or set "artifactLsp.server.interpreter" to one, then run "Artifact LSP: Restart server". ' +
  'Nothing else is needed: the extension carries the server and its libraries.';

function blank(value: string | null | undefined): value is null | undefined {
  return value === undefined || value === null || value.trim() === '';
}

export function importStrategy(value: string | null | undefined): ImportStrategy {
  return value === 'fromEnvironment' ? 'fromEnvironment' : 'bundled';
}

export function versionText(v: readonly number[]): string {
  return v.join('.');
}

export function suitable(v: readonly number[] | undefined): boolean {
  if (v === undefined) return false;
  return v[0] > MINIMUM_PYTHON[0] || (v[0] === MINIMUM_PYTHON[0] && v[1] >= MINIMUM_PYTHON[1]);
}

/**
 * Expand `${workspaceFolder}`, `${userHome}` and a leading `~`, then make the path absolute
 * (relative to the first workspace folder). A bare name without a slash (`python3`) is looked
 * up on PATH. Returns undefined when it cannot be made absolute.
 */
export function expandSettingPath(
  raw: string,
  ctx: Pick<ResolveContext, 'workspaceFolders' | 'home'>,
  which: (name: string) => string | undefined,
): string | undefined {
  let value = raw.trim();
  const folder = ctx.workspaceFolders[0];
  if (value.includes('${workspaceFolder}')) {
    if (folder === undefined) return undefined;
    value = value.split('${workspaceFolder}').join(folder);
  }
  value = value.split('${userHome}').join(ctx.home);
  if (value === '~') value = ctx.home;
  else if (value.startsWith('~/')) value = nodePath.join(ctx.home, value.slice(2));
  if (nodePath.isAbsolute(value)) return nodePath.normalize(value);
  if (!value.includes('/') && !value.includes('\\')) return which(value);
  if (folder === undefined) return undefined;
  return nodePath.resolve(folder, value);
}

function pythonCommand(python: string, source: ServerSource, strategy: ImportStrategy, ctx: ResolveContext, probe: PythonProbe, label: string): ServerCommand {
  const version = probe.version ? ` (Python ${versionText(probe.version)})` : '';
  let what: string;
  if (strategy === 'bundled') what = 'the bundled server';
  else if (probe.hasArtifactLsp) what = 'its own artifact_lsp (importStrategy fromEnvironment)';
  else what = 'the bundled server (importStrategy fromEnvironment, but this Python has no artifact_lsp)';
  return {
    command: python,
    args: [ctx.launcher],
    env: { [STRATEGY_ENV]: strategy },
    source,
    strategy,
    description: `${label}: ${python}${version} runs ${what}`,
  };
}

export async function resolveServer(ctx: ResolveContext, deps: ResolveDeps): Promise<Resolution> {
  const tried: string[] = [];
  const { path, interpreter } = ctx.settings;
  const strategy = importStrategy(ctx.settings.importStrategy);

  if (!blank(path)) {
    const full = expandSettingPath(path, ctx, deps.which);
    if (full !== undefined && deps.isExecutableFile(full)) {
      const note = blank(interpreter) ? '' : ' (artifactLsp.server.interpreter is ignored while server.path is set)';
      return {
        ok: true,
        tried,
        server: {
          command: full,
          args: [...SERVE_ARGS],
          env: {},
          source: 'server.path',
          strategy: 'executable',
          description: `artifactLsp.server.path: ${full} serve${note}`,
        },
      };
    }
    tried.push(`artifactLsp.server.path = ${JSON.stringify(path)}: ${full === undefined ? 'cannot resolve it' : `${full} is not an executable file`}`);
    return {
      ok: false,
      tried,
      message:
        `artifactLsp.server.path is set to ${JSON.stringify(path)}, but ` +
        (full === undefined ? 'it cannot be resolved (a relative path needs an open folder)' : `${full} is not an executable file`) +
        '. Point it at an "artifact-lsp" executable (for example "<venv>/bin/artifact-lsp"), or clear it to use the server the extension carries.',
    };
  }
  tried.push('artifactLsp.server.path: not set');

  if (!blank(interpreter)) {
    const full = expandSettingPath(interpreter, ctx, deps.which);
    if (full === undefined || !deps.isExecutableFile(full)) {
      tried.push(`artifactLsp.server.interpreter = ${JSON.stringify(interpreter)}: ${full === undefined ? 'not found' : `${full} is not an executable file`}`);
      return {
        ok: false,
        tried,
        message:
          `artifactLsp.server.interpreter is set to ${JSON.stringify(interpreter)}, but ` +
          (full === undefined ? 'no such interpreter was found' : `${full} is not an executable file`) +
          '. Point it at a Python 3.11 or newer (for example "/usr/bin/python3"), or clear it to use the first one found.',
      };
    }
    const probe = await deps.probePython(full);
    if (!probe.ok || !suitable(probe.version)) {
      const why = probeProblem(probe);
      tried.push(`artifactLsp.server.interpreter = ${full}: ${why}`);
      return {
        ok: false,
        tried,
        message:
          `artifactLsp.server.interpreter is ${full}, but ${why}. ` +
          'The server needs Python 3.11 or newer (nothing else: the extension carries the server and its libraries). ' +
          'Point the setting at such a Python, or clear it to use the first one found.',
      };
    }
    return { ok: true, tried, server: pythonCommand(full, 'server.interpreter', strategy, ctx, probe, 'artifactLsp.server.interpreter') };
  }
  tried.push('artifactLsp.server.interpreter: not set');

  if (strategy === 'fromEnvironment') {
    const onPath = deps.which(EXECUTABLE);
    if (onPath !== undefined) {
      return {
        ok: true,
        tried,
        server: {
          command: onPath,
          args: [...SERVE_ARGS],
          env: {},
          source: 'PATH',
          strategy: 'executable',
          description: `${EXECUTABLE} on PATH (importStrategy fromEnvironment): ${onPath} serve`,
        },
      };
    }
    tried.push(`"${EXECUTABLE}" on PATH (importStrategy fromEnvironment): not found`);
  }

  // the candidates in order; `python` undefined: not found (noted in `tried` in its turn)
  const candidates: Array<{ python?: string; source: ServerSource; label: string; note?: string }> = [];
  if (!ctx.trusted) {
    tried.push('the Python extension\'s interpreter: not used in an untrusted workspace (it may be the workspace\'s own environment)');
  } else {
    const selected = await deps.pythonExtension();
    const label = 'the Python extension\'s interpreter';
    if (selected.path !== undefined && selected.path !== '') candidates.push({ python: selected.path, source: 'python extension', label });
    else candidates.push({ source: 'python extension', label, note: selected.note ?? 'none selected' });
  }
  for (const name of ['python3', 'python']) {
    candidates.push({ python: deps.which(name), source: 'python on PATH', label: `"${name}" on PATH`, note: 'not found' });
  }
  const seen = new Set<string>();
  for (const { python, source, label, note } of candidates) {
    if (python === undefined) {
      tried.push(`${label}: ${note}`);
      continue;
    }
    if (seen.has(python)) {
      tried.push(`${label}: ${python} (tried above)`);
      continue;
    }
    seen.add(python);
    if (!deps.isExecutableFile(python)) {
      tried.push(`${label}: ${python} is not an executable file`);
      continue;
    }
    const probe = await deps.probePython(python);
    if (probe.ok && suitable(probe.version)) {
      return { ok: true, tried, server: pythonCommand(python, source, strategy, ctx, probe, label) };
    }
    tried.push(`${label}: ${python}: ${probeProblem(probe)}`);
  }

  return {
    ok: false,
    tried,
    message: `No Python 3.11 or newer found to run the artifact-lsp server (tried: ${tried.join('; ')}). ${INSTALL_PYTHON_HINT}`,
  };
}

function probeProblem(probe: PythonProbe): string {
  if (probe.ok && probe.version !== undefined) return `it is Python ${versionText(probe.version)}, older than 3.11`;
  return `it did not run as Python${probe.detail ? ` (${probe.detail})` : ''}`;
}

/** The message for a server that was found but did not start (or died at once). */
export function startFailureMessage(server: ServerCommand, error: string): string {
  const how = `${server.command} ${server.args.join(' ')}`;
  const fix =
    server.source === 'server.path'
      ? 'Check the setting, or clear it to use the server the extension carries.'
      : server.source === 'PATH'
        ? 'Reinstall it, or set "artifactLsp.server.importStrategy" to "bundled" to use the server the extension carries.'
        : server.strategy === 'fromEnvironment'
          ? 'That Python\'s own artifact-lsp (or one of its dependencies) may be broken: set "artifactLsp.server.importStrategy" to "bundled".'
          : 'Reinstall the extension, or set "artifactLsp.server.interpreter" to another Python 3.11 or newer.';
  return `The artifact-lsp server (${server.description}) did not start: ${error}. Command: "${how}". ${fix} See "Artifact LSP: Show output" for its log.`;
}

/**
 * A warning when the running server is not the version of this extension (a `server.path`, an
 * installed `artifact-lsp` or an environment's own package): quick fixes and settings may not
 * match. Undefined when they agree.
 */
export function versionMismatch(extensionVersion: string, serverVersion: string | undefined, server: ServerCommand): string | undefined {
  if (serverVersion === undefined || serverVersion === '') {
    return `The artifact-lsp server (${server.description}) did not say its version; this extension is ${extensionVersion}. Features may not match.`;
  }
  if (serverVersion === extensionVersion) return undefined;
  const fix =
    server.strategy === 'bundled'
      ? 'Reinstall the extension.'
      : 'Install the matching version, or clear "artifactLsp.server.path" and set "artifactLsp.server.importStrategy" to "bundled" to use the server the extension carries.';
  return `The artifact-lsp server is version ${serverVersion} (${server.description}), but this extension is ${extensionVersion}: features may not match. ${fix}`;
}

/** The script `probePython` runs: any Python can read it (a Python 2 answers with its version). */
export const PROBE_SCRIPT = [
  'import sys',
  'sys.stdout.write("%d.%d.%d" % tuple(sys.version_info[:3]))',
  'if sys.version_info >= (3, 11):',
  '    import importlib.util',
  '    sys.stdout.write(" %d" % (importlib.util.find_spec("artifact_lsp") is not None))',
].join('\n');

/** Parse what PROBE_SCRIPT printed. */
export function parseProbe(stdout: string): PythonProbe {
  const m = /^(\d+)\.(\d+)\.(\d+)(?: ([01]))?\s*$/.exec(stdout.trim());
  if (!m) return { ok: false, detail: `unexpected output ${JSON.stringify(stdout.trim().slice(0, 200))}` };
  return { ok: true, version: [Number(m[1]), Number(m[2]), Number(m[3])], hasArtifactLsp: m[4] === undefined ? undefined : m[4] === '1' };
}

/**
 * `which`: the first executable called `name` in the PATH string. On Windows, `PATHEXT`
 * extensions are tried too. A name with a slash is not looked up.
 */
export function whichIn(
  name: string,
  pathEnv: string,
  isExecutableFile: (path: string) => boolean,
  platform: string = process.platform,
  pathext?: string,
): string | undefined {
  if (name === '' || name.includes('/') || (platform === 'win32' && name.includes('\\'))) return undefined;
  const lib = platform === 'win32' ? nodePath.win32 : nodePath.posix;
  const exts = platform === 'win32' ? ['', ...(pathext ?? '.COM;.EXE;.BAT;.CMD').split(';').filter(Boolean)] : [''];
  for (const dir of pathEnv.split(platform === 'win32' ? ';' : ':')) {
    if (dir === '' || !lib.isAbsolute(dir)) continue; // a relative PATH entry would be the workspace
    for (const ext of exts) {
      const candidate = lib.join(dir, name + ext);
      if (isExecutableFile(candidate)) return candidate;
    }
  }
  return undefined;
}
