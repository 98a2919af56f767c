/**
 * Which command starts the artifact-lsp language server.
 *
 * Pure logic: everything that touches the file system, PATH or a child process comes in
 * through `ResolveDeps`, so the order and the error messages are unit-tested without VS Code
 * (test/resolve.test.ts). The order:
 *
 * 1. `artifactLsp.server.path`: an `artifact-lsp` executable, run as `<path> serve`;
 * 2. `artifactLsp.server.interpreter`: a Python that has the package, run as
 *    `<python> -m artifact_lsp serve` (checked first: it must import `artifact_lsp`);
 * 3. `artifact-lsp` on PATH;
 * 4. `uv run artifact-lsp serve` in a workspace folder that has a `pyproject.toml`
 *    (trusted workspaces only: `uv run` builds and runs the workspace's own project).
 *
 * A setting that is set but wrong is an error (with the fix), never silently skipped: the
 * user asked for that server. Only unset settings fall through to PATH and uv.
 */

import * as nodePath from 'node:path';

export const SERVE_ARGS = ['serve'];
export const MODULE_ARGS = ['-m', 'artifact_lsp', 'serve'];
export const EXECUTABLE = 'artifact-lsp';

export interface ServerSettings {
  /** `artifactLsp.server.path` */
  path?: string | null;
  /** `artifactLsp.server.interpreter` */
  interpreter?: string | null;
}

export interface ResolveContext {
  settings: ServerSettings;
  /** file-system paths of the workspace folders, first one first */
  workspaceFolders: readonly string[];
  /** `vscode.workspace.isTrusted` */
  trusted: boolean;
  /** the user's home folder, for `~` and `${userHome}` */
  home: string;
}

export interface ProbeResult {
  ok: boolean;
  /** what went wrong (the last line of stderr, a spawn error...) */
  detail?: string;
}

export interface ResolveDeps {
  /** a regular file this user may execute */
  isExecutableFile(path: string): boolean;
  /** any regular file */
  isFile(path: string): boolean;
  /** the full path of an executable on PATH, or undefined */
  which(name: string): string | undefined;
  /** does `python -c "import artifact_lsp"` work? */
  probeInterpreter(python: string): Promise<ProbeResult>;
}

export type ServerSource = 'server.path' | 'server.interpreter' | 'PATH' | 'uv';

export interface ServerCommand {
  command: string;
  args: string[];
  /** working folder for the process (uv runs in the workspace folder) */
  cwd?: string;
  source: ServerSource;
  /** for the output channel: what was chosen and why */
  description: string;
}

export type Resolution =
  | { ok: true; server: ServerCommand; tried: string[] }
  | { ok: false; message: string; tried: string[] };

const INSTALL_HINT =
  'Install it ("uv tool install artifact-lsp" or "pipx install artifact-lsp"), or set "artifactLsp.server.path" ' +
  'to an "artifact-lsp" executable, or "artifactLsp.server.interpreter" to a Python that has the "artifact-lsp" package ' +
  '(for example your checkout\'s ".venv/bin/python"), then run "Artifact LSP: Restart server".';

function blank(value: string | null | undefined): value is null | undefined {
  return value === undefined || value === null || value.trim() === '';
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

export async function resolveServer(ctx: ResolveContext, deps: ResolveDeps): Promise<Resolution> {
  const tried: string[] = [];
  const { path, interpreter } = ctx.settings;

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
          source: 'server.path',
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
        '. Point it at the "artifact-lsp" executable (for example "<venv>/bin/artifact-lsp"), or clear it to use "artifact-lsp" from PATH.',
    };
  }

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
          '. Point it at a Python that has the "artifact-lsp" package (for example "<venv>/bin/python"), or clear it.',
      };
    }
    const probe = await deps.probeInterpreter(full);
    if (!probe.ok) {
      tried.push(`artifactLsp.server.interpreter = ${full}: cannot import artifact_lsp${probe.detail ? ` (${probe.detail})` : ''}`);
      return {
        ok: false,
        tried,
        message:
          `artifactLsp.server.interpreter is ${full}, but that Python cannot import artifact_lsp` +
          (probe.detail ? ` (${probe.detail})` : '') +
          `. Install the server into it ("${full} -m pip install artifact-lsp", or "uv sync" in the artifact-lsp checkout), or point the setting at the Python that has it.`,
      };
    }
    return {
      ok: true,
      tried,
      server: {
        command: full,
        args: [...MODULE_ARGS],
        source: 'server.interpreter',
        description: `artifactLsp.server.interpreter: ${full} -m artifact_lsp serve`,
      },
    };
  }
  tried.push('artifactLsp.server.path: not set', 'artifactLsp.server.interpreter: not set');

  const onPath = deps.which(EXECUTABLE);
  if (onPath !== undefined) {
    return {
      ok: true,
      tried,
      server: { command: onPath, args: [...SERVE_ARGS], source: 'PATH', description: `${EXECUTABLE} on PATH: ${onPath} serve` },
    };
  }
  tried.push(`"${EXECUTABLE}" on PATH: not found`);

  const uv = deps.which('uv');
  const project = ctx.workspaceFolders.find((f) => deps.isFile(nodePath.join(f, 'pyproject.toml')));
  if (uv === undefined) {
    tried.push('"uv run artifact-lsp serve": uv is not on PATH');
  } else if (!ctx.trusted) {
    tried.push('"uv run artifact-lsp serve": not in an untrusted workspace (it would build and run the workspace\'s project)');
  } else if (project === undefined) {
    tried.push('"uv run artifact-lsp serve": no workspace folder has a pyproject.toml');
  } else {
    return {
      ok: true,
      tried,
      server: {
        command: uv,
        args: ['run', EXECUTABLE, ...SERVE_ARGS],
        cwd: project,
        source: 'uv',
        description: `uv run ${EXECUTABLE} serve in ${project}`,
      },
    };
  }

  return {
    ok: false,
    tried,
    message: `No artifact-lsp language server found (tried: ${tried.join('; ')}). ${INSTALL_HINT}`,
  };
}

/** The message for a server that was found but did not start (or died at once). */
export function startFailureMessage(server: ServerCommand, error: string): string {
  const how = `${server.command} ${server.args.join(' ')}`;
  const fix =
    server.source === 'uv'
      ? 'The workspace\'s project may not depend on artifact-lsp: set "artifactLsp.server.path" or "artifactLsp.server.interpreter" instead.'
      : server.source === 'PATH'
        ? 'Reinstall it, or set "artifactLsp.server.path" / "artifactLsp.server.interpreter" to a working one.'
        : 'Check the setting, or clear it to use "artifact-lsp" from PATH.';
  return `The artifact-lsp server (${server.description}) did not start: ${error}. Command: "${how}". ${fix} See "Artifact LSP: Show output" for its log.`;
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
    if (dir === '') continue;
    for (const ext of exts) {
      const candidate = lib.join(dir, name + ext);
      if (isExecutableFile(candidate)) return candidate;
    }
  }
  return undefined;
}
