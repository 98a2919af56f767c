// Unit tests for the server resolution (src/resolve.ts): node's built-in test runner on the
// esbuild output (`npm test`). A fake file system, PATH, Pythons and Python extension are
// injected; nothing is spawned.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  PROBE_SCRIPT,
  PythonExtensionInterpreter,
  PythonProbe,
  ResolveContext,
  ResolveDeps,
  ServerCommand,
  expandSettingPath,
  parseProbe,
  resolveServer,
  startFailureMessage,
  versionMismatch,
  whichIn,
} from '../src/resolve';

const LAUNCHER = '/ext/bundled/tool/server.py';

interface World {
  executables?: string[];
  files?: string[];
  path?: string[];
  /** python path -> version ('3.11.2'); absent: it does not run as Python */
  pythons?: Record<string, string>;
  /** pythons that have artifact_lsp installed */
  withPackage?: string[];
  pythonExtension?: PythonExtensionInterpreter;
}

function fake(world: World): ResolveDeps & { probed: string[]; askedExtension: number } {
  const executables = new Set([...(world.executables ?? []), ...Object.keys(world.pythons ?? {})]);
  const probed: string[] = [];
  const deps = {
    probed,
    askedExtension: 0,
    isExecutableFile: (p: string) => executables.has(p),
    which: (name: string) => whichIn(name, (world.path ?? []).join(':'), (p) => executables.has(p), 'linux'),
    probePython: async (python: string): Promise<PythonProbe> => {
      probed.push(python);
      const version = world.pythons?.[python];
      if (version === undefined) return { ok: false, detail: 'exec format error' };
      return parseProbe(`${version}${version >= '3.11' ? ` ${world.withPackage?.includes(python) ? 1 : 0}` : ''}`);
    },
    pythonExtension: async (): Promise<PythonExtensionInterpreter> => {
      deps.askedExtension += 1;
      return world.pythonExtension ?? { note: 'the Python extension (ms-python.python) is not installed' };
    },
  };
  return deps;
}

function ctx(over: Partial<ResolveContext> = {}): ResolveContext {
  return { settings: {}, workspaceFolders: ['/ws'], trusted: true, home: '/home/me', launcher: LAUNCHER, ...over };
}

function argv(server: ServerCommand): string[] {
  return [server.command, ...server.args];
}

describe('resolveServer: the bundled server on the first suitable Python', () => {
  it('with nothing set, runs the bundled launcher on python3 from PATH (no artifact-lsp needed anywhere)', async () => {
    const deps = fake({ path: ['/usr/bin'], pythons: { '/usr/bin/python3': '3.11.2' } });
    const r = await resolveServer(ctx(), deps);
    assert.ok(r.ok);
    assert.deepEqual(argv(r.server), ['/usr/bin/python3', LAUNCHER]);
    assert.deepEqual(r.server.env, { ARTIFACT_LSP_IMPORT_STRATEGY: 'bundled' });
    assert.equal(r.server.source, 'python on PATH');
    assert.equal(r.server.strategy, 'bundled');
    assert.match(r.server.description, /"python3" on PATH: \/usr\/bin\/python3 \(Python 3\.11\.2\) runs the bundled server/);
  });

  it('order: interpreter setting, then the Python extension, then python3, then python', async () => {
    const pythons = { '/opt/py/bin/python': '3.12.1', '/ws/.venv/bin/python': '3.13.0', '/usr/bin/python3': '3.11.2', '/usr/bin/python': '3.11.2' };
    const ext = { path: '/ws/.venv/bin/python' };
    let r = await resolveServer(ctx({ settings: { interpreter: '/opt/py/bin/python' } }), fake({ path: ['/usr/bin'], pythons, pythonExtension: ext }));
    assert.ok(r.ok);
    assert.equal(r.server.command, '/opt/py/bin/python');
    assert.equal(r.server.source, 'server.interpreter');

    r = await resolveServer(ctx(), fake({ path: ['/usr/bin'], pythons, pythonExtension: ext }));
    assert.ok(r.ok);
    assert.equal(r.server.command, '/ws/.venv/bin/python');
    assert.equal(r.server.source, 'python extension');

    r = await resolveServer(ctx(), fake({ path: ['/usr/bin'], pythons }));
    assert.ok(r.ok);
    assert.equal(r.server.command, '/usr/bin/python3');

    const { '/usr/bin/python3': _, ...noPython3 } = pythons;
    r = await resolveServer(ctx(), fake({ path: ['/usr/bin'], pythons: noPython3 }));
    assert.ok(r.ok);
    assert.equal(r.server.command, '/usr/bin/python');
  });

  it('skips Pythons older than 3.11 (and ones that do not run) and says so', async () => {
    const deps = fake({
      path: ['/usr/bin', '/usr/local/bin'],
      pythons: { '/ws/.venv/bin/python': '3.10.13', '/usr/bin/python': '3.12.1' },
      executables: ['/usr/bin/python3'], // a python3 that is not a Python (exec format error)
      pythonExtension: { path: '/ws/.venv/bin/python' },
    });
    const r = await resolveServer(ctx(), deps);
    assert.ok(r.ok);
    assert.equal(r.server.command, '/usr/bin/python');
    assert.deepEqual(deps.probed, ['/ws/.venv/bin/python', '/usr/bin/python3', '/usr/bin/python']);
    assert.deepEqual(r.tried.slice(-2), [
      "the Python extension's interpreter: /ws/.venv/bin/python: it is Python 3.10.13, older than 3.11",
      '"python3" on PATH: /usr/bin/python3: it did not run as Python (exec format error)',
    ]);
  });

  it('probes each interpreter once', async () => {
    const deps = fake({ path: ['/usr/bin'], pythons: { '/usr/bin/python3': '3.9.2' }, pythonExtension: { path: '/usr/bin/python3' } });
    const r = await resolveServer(ctx(), deps);
    assert.equal(r.ok, false);
    assert.deepEqual(deps.probed, ['/usr/bin/python3']);
  });

  it('no suitable Python: one error that lists what was tried and what to install', async () => {
    const deps = fake({ path: ['/usr/bin'], pythons: { '/usr/bin/python3': '3.9.2' } });
    const r = await resolveServer(ctx(), deps);
    assert.equal(r.ok, false);
    assert.deepEqual(r.tried, [
      'artifactLsp.server.path: not set',
      'artifactLsp.server.interpreter: not set',
      "the Python extension's interpreter: the Python extension (ms-python.python) is not installed",
      '"python3" on PATH: /usr/bin/python3: it is Python 3.9.2, older than 3.11',
      '"python" on PATH: not found',
    ]);
    assert.match(r.message, /^No Python 3\.11 or newer found to run the artifact-lsp server \(tried: /);
    assert.match(r.message, /Install Python 3\.11 or newer/);
    assert.match(r.message, /sudo apt install python3/);
    assert.match(r.message, /"artifactLsp\.server\.interpreter"/);
    assert.match(r.message, /Restart server/);
    assert.doesNotMatch(r.message, /uv run|pipx|uv tool/);
  });

  it('never runs uv, and never anything inside the workspace it was not told to', async () => {
    // the old fallback: uv on PATH and a pyproject.toml in the workspace; now it is not a server
    const deps = fake({ executables: ['/usr/bin/uv'], path: ['/usr/bin'], files: ['/ws/pyproject.toml'] });
    const r = await resolveServer(ctx(), deps);
    assert.equal(r.ok, false);
    assert.doesNotMatch(r.tried.join('\n'), /uv/);
    assert.deepEqual(deps.probed, []);
  });

  it('a relative PATH entry (the workspace) is never searched', () => {
    const exe = new Set(['bin/python3', '/usr/bin/python3']);
    assert.equal(whichIn('python3', 'bin:/usr/bin', (p) => exe.has(p), 'linux'), '/usr/bin/python3');
  });
});

describe('resolveServer: settings', () => {
  it('uses artifactLsp.server.path as `<path> serve` (nothing probed)', async () => {
    const deps = fake({ executables: ['/opt/al/bin/artifact-lsp'], path: ['/usr/bin'], pythons: { '/usr/bin/python3': '3.11.2' } });
    const r = await resolveServer(ctx({ settings: { path: '/opt/al/bin/artifact-lsp' } }), deps);
    assert.ok(r.ok);
    assert.deepEqual([...argv(r.server), r.server.source, r.server.strategy], ['/opt/al/bin/artifact-lsp', 'serve', 'server.path', 'executable']);
    assert.deepEqual(deps.probed, []);
    assert.equal(deps.askedExtension, 0);
  });

  it('server.path wins over server.interpreter (and says so)', async () => {
    const deps = fake({ executables: ['/a/artifact-lsp'], pythons: { '/py/python': '3.12.0' } });
    const r = await resolveServer(ctx({ settings: { path: '/a/artifact-lsp', interpreter: '/py/python' } }), deps);
    assert.ok(r.ok);
    assert.equal(r.server.source, 'server.path');
    assert.match(r.server.description, /interpreter is ignored/);
    assert.deepEqual(deps.probed, []);
  });

  it('resolves relative paths, ${workspaceFolder} and ~', async () => {
    const deps = fake({ executables: ['/ws/.venv/bin/artifact-lsp'], pythons: { '/home/me/tools/python': '3.11.9' } });
    for (const path of ['.venv/bin/artifact-lsp', './.venv/bin/artifact-lsp', '${workspaceFolder}/.venv/bin/artifact-lsp']) {
      const r = await resolveServer(ctx({ settings: { path } }), deps);
      assert.ok(r.ok, path);
      assert.equal(r.server.command, '/ws/.venv/bin/artifact-lsp');
    }
    const r = await resolveServer(ctx({ settings: { interpreter: '~/tools/python' } }), deps);
    assert.ok(r.ok);
    assert.deepEqual(argv(r.server), ['/home/me/tools/python', LAUNCHER]);
  });

  it('a server.path that is not executable is an error with the fix, not a silent fallback', async () => {
    const deps = fake({ path: ['/usr/bin'], pythons: { '/usr/bin/python3': '3.11.2' } });
    const r = await resolveServer(ctx({ settings: { path: '/nope/artifact-lsp' } }), deps);
    assert.equal(r.ok, false);
    assert.match(r.message, /artifactLsp\.server\.path is set to "\/nope\/artifact-lsp", but \/nope\/artifact-lsp is not an executable file/);
    assert.match(r.message, /clear it to use the server the extension carries/);
  });

  it('the interpreter setting needs only a Python >= 3.11 (it runs the bundled server)', async () => {
    const deps = fake({ pythons: { '/usr/bin/python3': '3.11.2' } });
    const r = await resolveServer(ctx({ settings: { interpreter: '/usr/bin/python3' } }), deps);
    assert.ok(r.ok);
    assert.deepEqual(argv(r.server), ['/usr/bin/python3', LAUNCHER]);
    assert.equal(r.server.strategy, 'bundled');
    assert.equal(deps.askedExtension, 0);
  });

  it('an interpreter setting that is too old is an error, not a fallback to PATH', async () => {
    const deps = fake({ path: ['/usr/bin'], pythons: { '/opt/py310/bin/python': '3.10.13', '/usr/bin/python3': '3.11.2' } });
    const r = await resolveServer(ctx({ settings: { interpreter: '/opt/py310/bin/python' } }), deps);
    assert.equal(r.ok, false);
    assert.match(r.message, /artifactLsp\.server\.interpreter is \/opt\/py310\/bin\/python, but it is Python 3\.10\.13, older than 3\.11/);
    assert.match(r.message, /needs Python 3\.11 or newer/);
    assert.deepEqual(deps.probed, ['/opt/py310/bin/python']);
  });

  it('an interpreter setting that does not run is an error naming why', async () => {
    const deps = fake({ executables: ['/ws/fake-python'] });
    const r = await resolveServer(ctx({ settings: { interpreter: '/ws/fake-python' } }), deps);
    assert.equal(r.ok, false);
    assert.match(r.message, /but it did not run as Python \(exec format error\)/);
  });

  it('a bare interpreter name is looked up on PATH; a missing one is an error', async () => {
    const deps = fake({ path: ['/usr/bin', '/usr/local/bin'], pythons: { '/usr/local/bin/python3.12': '3.12.1' } });
    let r = await resolveServer(ctx({ settings: { interpreter: 'python3.12' } }), deps);
    assert.ok(r.ok);
    assert.equal(r.server.command, '/usr/local/bin/python3.12');
    r = await resolveServer(ctx({ settings: { interpreter: 'python9' } }), deps);
    assert.equal(r.ok, false);
    assert.match(r.message, /interpreter is set to "python9", but no such interpreter was found/);
  });

  it('blank settings count as unset', async () => {
    const deps = fake({ path: ['/usr/bin'], pythons: { '/usr/bin/python3': '3.11.2' } });
    const r = await resolveServer(ctx({ settings: { path: '  ', interpreter: null, importStrategy: null } }), deps);
    assert.ok(r.ok);
    assert.equal(r.server.source, 'python on PATH');
    assert.equal(r.server.strategy, 'bundled');
  });

  it('a relative path without an open folder cannot be resolved', async () => {
    const r = await resolveServer(ctx({ workspaceFolders: [], settings: { path: 'bin/artifact-lsp' } }), fake({}));
    assert.equal(r.ok, false);
    assert.match(r.message, /needs an open folder/);
  });
});

describe('resolveServer: importStrategy fromEnvironment', () => {
  it('uses artifact-lsp on PATH first (an installed server)', async () => {
    const deps = fake({ executables: ['/home/me/.local/bin/artifact-lsp'], path: ['/usr/bin', '/home/me/.local/bin'], pythons: { '/usr/bin/python3': '3.11.2' } });
    const r = await resolveServer(ctx({ settings: { importStrategy: 'fromEnvironment' } }), deps);
    assert.ok(r.ok);
    assert.deepEqual([...argv(r.server), r.server.source], ['/home/me/.local/bin/artifact-lsp', 'serve', 'PATH']);
    assert.deepEqual(deps.probed, []);
  });

  it('then the Python, with its own packages first (the launcher is told so)', async () => {
    const deps = fake({ path: ['/usr/bin'], pythons: { '/usr/bin/python3': '3.12.1' }, withPackage: ['/usr/bin/python3'] });
    const r = await resolveServer(ctx({ settings: { importStrategy: 'fromEnvironment' } }), deps);
    assert.ok(r.ok);
    assert.deepEqual(argv(r.server), ['/usr/bin/python3', LAUNCHER]);
    assert.deepEqual(r.server.env, { ARTIFACT_LSP_IMPORT_STRATEGY: 'fromEnvironment' });
    assert.match(r.server.description, /runs its own artifact_lsp/);
    assert.match(r.tried.join('\n'), /"artifact-lsp" on PATH \(importStrategy fromEnvironment\): not found/);
  });

  it('says when that Python has no artifact_lsp (the bundled one runs)', async () => {
    const deps = fake({ pythons: { '/p/python': '3.11.4' } });
    const r = await resolveServer(ctx({ settings: { interpreter: '/p/python', importStrategy: 'fromEnvironment' } }), deps);
    assert.ok(r.ok);
    assert.match(r.server.description, /this Python has no artifact_lsp/);
  });

  it('an interpreter setting wins over artifact-lsp on PATH', async () => {
    const deps = fake({ executables: ['/usr/bin/artifact-lsp'], path: ['/usr/bin'], pythons: { '/p/python': '3.11.4' }, withPackage: ['/p/python'] });
    const r = await resolveServer(ctx({ settings: { interpreter: '/p/python', importStrategy: 'fromEnvironment' } }), deps);
    assert.ok(r.ok);
    assert.equal(r.server.command, '/p/python');
  });

  it('an unknown strategy means bundled', async () => {
    const deps = fake({ executables: ['/usr/bin/artifact-lsp'], path: ['/usr/bin'], pythons: { '/usr/bin/python3': '3.11.2' } });
    const r = await resolveServer(ctx({ settings: { importStrategy: 'whatever' } }), deps);
    assert.ok(r.ok);
    assert.equal(r.server.strategy, 'bundled');
    assert.equal(r.server.command, '/usr/bin/python3');
  });
});

describe('resolveServer: untrusted workspaces', () => {
  it('never ask the Python extension (its interpreter may be the workspace\'s .venv)', async () => {
    const deps = fake({ path: ['/usr/bin'], pythons: { '/usr/bin/python3': '3.11.2', '/ws/.venv/bin/python': '3.12.0' }, pythonExtension: { path: '/ws/.venv/bin/python' } });
    const r = await resolveServer(ctx({ trusted: false }), deps);
    assert.ok(r.ok);
    assert.equal(r.server.command, '/usr/bin/python3');
    assert.equal(deps.askedExtension, 0);
    assert.match(r.tried.join('\n'), /not used in an untrusted workspace/);
  });
});

describe('helpers', () => {
  it('expandSettingPath', () => {
    const which = (n: string) => (n === 'python3' ? '/usr/bin/python3' : undefined);
    const c = { workspaceFolders: ['/ws'], home: '/home/me' };
    assert.equal(expandSettingPath('/abs/x', c, which), '/abs/x');
    assert.equal(expandSettingPath('/abs/../x', c, which), '/x');
    assert.equal(expandSettingPath('~', c, which), '/home/me');
    assert.equal(expandSettingPath('${userHome}/p', c, which), '/home/me/p');
    assert.equal(expandSettingPath('python3', c, which), '/usr/bin/python3');
    assert.equal(expandSettingPath('nope', c, which), undefined);
    assert.equal(expandSettingPath('${workspaceFolder}/x', { workspaceFolders: [], home: '/h' }, which), undefined);
  });

  it('whichIn takes the first executable on PATH and skips names with a slash', () => {
    const exe = new Set(['/b/tool', '/c/tool']);
    assert.equal(whichIn('tool', '/a:/b:/c', (p) => exe.has(p), 'linux'), '/b/tool');
    assert.equal(whichIn('tool', '', (p) => exe.has(p), 'linux'), undefined);
    assert.equal(whichIn('b/tool', '/', (p) => exe.has(p), 'linux'), undefined);
  });

  it('whichIn tries PATHEXT on Windows', () => {
    const exe = new Set(['C:\\tools\\artifact-lsp.EXE']);
    assert.equal(whichIn('artifact-lsp', 'C:\\bin;C:\\tools', (p) => exe.has(p), 'win32', '.EXE;.CMD'), 'C:\\tools\\artifact-lsp.EXE');
  });

  it('parseProbe reads what the probe script prints', () => {
    assert.deepEqual(parseProbe('3.11.2 0\n'), { ok: true, version: [3, 11, 2], hasArtifactLsp: false });
    assert.deepEqual(parseProbe('3.13.0 1'), { ok: true, version: [3, 13, 0], hasArtifactLsp: true });
    assert.deepEqual(parseProbe('2.7.18'), { ok: true, version: [2, 7, 18], hasArtifactLsp: undefined });
    assert.equal(parseProbe('Python was not found; run without arguments to install from the Microsoft Store').ok, false);
    // the script itself is valid for old Pythons: no f-strings, no walrus
    assert.doesNotMatch(PROBE_SCRIPT, /f"|:=/);
  });

  it('startFailureMessage names the command and a fix per source', () => {
    const bundled: ServerCommand = {
      command: '/usr/bin/python3', args: [LAUNCHER], env: {}, source: 'python on PATH', strategy: 'bundled',
      description: '"python3" on PATH: /usr/bin/python3 (Python 3.11.2) runs the bundled server',
    };
    const m = startFailureMessage(bundled, 'Connection closed');
    assert.match(m, /did not start: Connection closed/);
    assert.match(m, /"\/usr\/bin\/python3 \/ext\/bundled\/tool\/server\.py"/);
    assert.match(m, /Reinstall the extension/);
    assert.match(startFailureMessage({ ...bundled, strategy: 'fromEnvironment' }, 'x'), /importStrategy" to "bundled"/);
    assert.match(startFailureMessage({ ...bundled, source: 'server.path', strategy: 'executable' }, 'x'), /clear it/);
  });

  it('versionMismatch warns only when the versions differ (or the server hides its version)', () => {
    const server: ServerCommand = { command: '/a/artifact-lsp', args: ['serve'], env: {}, source: 'server.path', strategy: 'executable', description: 'artifactLsp.server.path: /a/artifact-lsp serve' };
    assert.equal(versionMismatch('0.1.0', '0.1.0', server), undefined);
    const m = versionMismatch('0.2.0', '0.1.0', server);
    assert.ok(m);
    assert.match(m, /server is version 0\.1\.0 \(artifactLsp\.server\.path: \/a\/artifact-lsp serve\), but this extension is 0\.2\.0/);
    assert.match(m, /importStrategy" to "bundled"/);
    assert.match(versionMismatch('0.2.0', undefined, server) ?? '', /did not say its version/);
  });
});
