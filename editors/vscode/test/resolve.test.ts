// Unit tests for the server resolution (src/resolve.ts): node's built-in test runner on the
// esbuild output (`npm test`). A fake file system and PATH are injected; nothing is spawned.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ProbeResult, ResolveContext, ResolveDeps, expandSettingPath, resolveServer, startFailureMessage, whichIn } from '../src/resolve';

interface World {
  executables?: string[];
  files?: string[];
  path?: string[];
  importable?: string[];
  probeDetail?: string;
}

function fake(world: World): ResolveDeps & { probed: string[] } {
  const executables = new Set(world.executables ?? []);
  const files = new Set([...(world.files ?? []), ...executables]);
  const importable = new Set(world.importable ?? []);
  const probed: string[] = [];
  return {
    probed,
    isExecutableFile: (p) => executables.has(p),
    isFile: (p) => files.has(p),
    which: (name) => whichIn(name, (world.path ?? []).join(':'), (p) => executables.has(p), 'linux'),
    probeInterpreter: async (python): Promise<ProbeResult> => {
      probed.push(python);
      return importable.has(python) ? { ok: true } : { ok: false, detail: world.probeDetail ?? "ModuleNotFoundError: No module named 'artifact_lsp'" };
    },
  };
}

function ctx(over: Partial<ResolveContext> = {}): ResolveContext {
  return { settings: {}, workspaceFolders: ['/ws'], trusted: true, home: '/home/me', ...over };
}

describe('resolveServer: settings', () => {
  it('uses artifactLsp.server.path as `<path> serve`', async () => {
    const r = await resolveServer(ctx({ settings: { path: '/opt/al/bin/artifact-lsp' } }), fake({ executables: ['/opt/al/bin/artifact-lsp'] }));
    assert.ok(r.ok);
    assert.deepEqual([r.server.command, r.server.args, r.server.source], ['/opt/al/bin/artifact-lsp', ['serve'], 'server.path']);
  });

  it('server.path wins over server.interpreter (and says so)', async () => {
    const deps = fake({ executables: ['/a/artifact-lsp', '/py/python'], importable: ['/py/python'] });
    const r = await resolveServer(ctx({ settings: { path: '/a/artifact-lsp', interpreter: '/py/python' } }), deps);
    assert.ok(r.ok);
    assert.equal(r.server.source, 'server.path');
    assert.match(r.server.description, /interpreter is ignored/);
    assert.deepEqual(deps.probed, []);
  });

  it('resolves relative paths, ${workspaceFolder} and ~', async () => {
    const deps = fake({ executables: ['/ws/.venv/bin/artifact-lsp', '/home/me/tools/python'], importable: ['/home/me/tools/python'] });
    for (const path of ['.venv/bin/artifact-lsp', './.venv/bin/artifact-lsp', '${workspaceFolder}/.venv/bin/artifact-lsp']) {
      const r = await resolveServer(ctx({ settings: { path } }), deps);
      assert.ok(r.ok, path);
      assert.equal(r.server.command, '/ws/.venv/bin/artifact-lsp');
    }
    const r = await resolveServer(ctx({ settings: { interpreter: '~/tools/python' } }), deps);
    assert.ok(r.ok);
    assert.equal(r.server.command, '/home/me/tools/python');
  });

  it('a server.path that is not executable is an error with the fix, not a silent fallback', async () => {
    const deps = fake({ executables: ['/usr/bin/artifact-lsp'], path: ['/usr/bin'] });
    const r = await resolveServer(ctx({ settings: { path: '/nope/artifact-lsp' } }), deps);
    assert.equal(r.ok, false);
    assert.match(r.message, /artifactLsp\.server\.path is set to "\/nope\/artifact-lsp", but \/nope\/artifact-lsp is not an executable file/);
    assert.match(r.message, /clear it to use "artifact-lsp" from PATH/);
  });

  it('uses artifactLsp.server.interpreter as `<python> -m artifact_lsp serve` after checking the import', async () => {
    const deps = fake({ executables: ['/ws/.venv/bin/python'], importable: ['/ws/.venv/bin/python'] });
    const r = await resolveServer(ctx({ settings: { interpreter: '/ws/.venv/bin/python' } }), deps);
    assert.ok(r.ok);
    assert.deepEqual([r.server.command, r.server.args, r.server.source], ['/ws/.venv/bin/python', ['-m', 'artifact_lsp', 'serve'], 'server.interpreter']);
    assert.deepEqual(deps.probed, ['/ws/.venv/bin/python']);
  });

  it('a bare interpreter name is looked up on PATH', async () => {
    const deps = fake({ executables: ['/usr/local/bin/python3'], path: ['/usr/bin', '/usr/local/bin'], importable: ['/usr/local/bin/python3'] });
    const r = await resolveServer(ctx({ settings: { interpreter: 'python3' } }), deps);
    assert.ok(r.ok);
    assert.equal(r.server.command, '/usr/local/bin/python3');
  });

  it('an interpreter without the package is an error naming the import failure and the install command', async () => {
    const deps = fake({ executables: ['/usr/bin/python3'] });
    const r = await resolveServer(ctx({ settings: { interpreter: '/usr/bin/python3' } }), deps);
    assert.equal(r.ok, false);
    assert.match(r.message, /cannot import artifact_lsp \(ModuleNotFoundError: No module named 'artifact_lsp'\)/);
    assert.match(r.message, /\/usr\/bin\/python3 -m pip install artifact-lsp/);
  });

  it('a missing interpreter is an error', async () => {
    const r = await resolveServer(ctx({ settings: { interpreter: 'python9' } }), fake({ path: ['/usr/bin'] }));
    assert.equal(r.ok, false);
    assert.match(r.message, /interpreter is set to "python9", but no such interpreter was found/);
  });

  it('blank settings count as unset', async () => {
    const deps = fake({ executables: ['/usr/bin/artifact-lsp'], path: ['/usr/bin'] });
    const r = await resolveServer(ctx({ settings: { path: '  ', interpreter: null } }), deps);
    assert.ok(r.ok);
    assert.equal(r.server.source, 'PATH');
  });

  it('a relative path without an open folder cannot be resolved', async () => {
    const r = await resolveServer(ctx({ workspaceFolders: [], settings: { path: 'bin/artifact-lsp' } }), fake({}));
    assert.equal(r.ok, false);
    assert.match(r.message, /needs an open folder/);
  });
});

describe('resolveServer: fallbacks', () => {
  it('falls back to artifact-lsp on PATH', async () => {
    const deps = fake({ executables: ['/home/me/.local/bin/artifact-lsp', '/usr/bin/uv'], path: ['/usr/bin', '/home/me/.local/bin'], files: ['/ws/pyproject.toml'] });
    const r = await resolveServer(ctx(), deps);
    assert.ok(r.ok);
    assert.deepEqual([r.server.command, r.server.args, r.server.source], ['/home/me/.local/bin/artifact-lsp', ['serve'], 'PATH']);
  });

  it('then to `uv run artifact-lsp serve` in the first folder with a pyproject.toml', async () => {
    const deps = fake({ executables: ['/usr/bin/uv'], path: ['/usr/bin'], files: ['/b/pyproject.toml'] });
    const r = await resolveServer(ctx({ workspaceFolders: ['/a', '/b'] }), deps);
    assert.ok(r.ok);
    assert.deepEqual([r.server.command, r.server.args, r.server.cwd, r.server.source], ['/usr/bin/uv', ['run', 'artifact-lsp', 'serve'], '/b', 'uv']);
  });

  it('never uses uv run in an untrusted workspace', async () => {
    const deps = fake({ executables: ['/usr/bin/uv'], path: ['/usr/bin'], files: ['/ws/pyproject.toml'] });
    const r = await resolveServer(ctx({ trusted: false }), deps);
    assert.equal(r.ok, false);
    assert.match(r.message, /untrusted workspace/);
  });

  it('says what it tried and how to fix it when nothing works', async () => {
    const r = await resolveServer(ctx(), fake({ path: ['/usr/bin'] }));
    assert.equal(r.ok, false);
    assert.deepEqual(r.tried, [
      'artifactLsp.server.path: not set',
      'artifactLsp.server.interpreter: not set',
      '"artifact-lsp" on PATH: not found',
      '"uv run artifact-lsp serve": uv is not on PATH',
    ]);
    assert.match(r.message, /^No artifact-lsp language server found/);
    assert.match(r.message, /set "artifactLsp\.server\.path"/);
    assert.match(r.message, /"artifactLsp\.server\.interpreter"/);
    assert.match(r.message, /Restart server/);
  });

  it('uv without a pyproject.toml is not tried', async () => {
    const r = await resolveServer(ctx(), fake({ executables: ['/usr/bin/uv'], path: ['/usr/bin'] }));
    assert.equal(r.ok, false);
    assert.match(r.tried.join('\n'), /no workspace folder has a pyproject.toml/);
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

  it('startFailureMessage names the command and a fix per source', () => {
    const m = startFailureMessage(
      { command: '/usr/bin/uv', args: ['run', 'artifact-lsp', 'serve'], cwd: '/ws', source: 'uv', description: 'uv run artifact-lsp serve in /ws' },
      'Connection closed',
    );
    assert.match(m, /did not start: Connection closed/);
    assert.match(m, /"\/usr\/bin\/uv run artifact-lsp serve"/);
    assert.match(m, /may not depend on artifact-lsp/);
  });
});
