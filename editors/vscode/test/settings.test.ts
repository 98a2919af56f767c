// Unit tests for src/settings.ts: what the server gets from the artifactLsp section, and which
// documents the client sends it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import {
  DEFAULT_GLOBS,
  REGENERATE_KEYS,
  SERVER_KEYS,
  clientPattern,
  documentGlobs,
  documentSelector,
  findFilesGlob,
  initializationOptions,
  regenerateArgs,
  serverSettings,
} from '../src/settings';

/** a lookup like WorkspaceConfiguration.get over a flat {dotted key: value} map */
function lookup(values: Record<string, unknown>) {
  return (key: string) => values[key];
}

describe('serverSettings', () => {
  it('drops unset (null) keys and the extension-only keys', () => {
    const get = lookup({
      'server.path': '/x',
      'server.interpreter': null,
      'trace.server': 'verbose',
      select: null,
      ignore: ['AL308'],
      severity: { AL403: 'warning' },
      maxFileSize: 1024,
      'regenerate.script': null,
      'regenerate.timeout': null,
    });
    assert.deepEqual(serverSettings(get), { ignore: ['AL308'], severity: { AL403: 'warning' }, maxFileSize: 1024 });
  });

  it('nests the regenerate keys that are set', () => {
    const get = lookup({ 'regenerate.script': 'e2e/regen.sh', 'regenerate.env': { A: '1' }, 'regenerate.fixtures': ['e2e/artifacts'], 'regenerate.args': null });
    assert.deepEqual(serverSettings(get), { regenerate: { script: 'e2e/regen.sh', env: { A: '1' }, fixtures: ['e2e/artifacts'] } });
  });

  it('returns plain copies (VS Code hands out frozen objects)', () => {
    const frozen = Object.freeze({ AL1: 'warning' });
    const out = serverSettings(lookup({ severity: frozen }));
    assert.notEqual(out.severity, frozen);
    assert.deepEqual(out.severity, { AL1: 'warning' });
  });

  it('initializationOptions carries the trust flag', () => {
    assert.deepEqual(initializationOptions(lookup({ select: ['AL1'] }), false), { workspaceTrusted: false, settings: { select: ['AL1'] } });
  });

  it('every key the server reads is contributed in package.json, with a description', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8'));
    const props = pkg.contributes.configuration.properties as Record<string, { markdownDescription?: string; description?: string }>;
    const keys = [...SERVER_KEYS, ...REGENERATE_KEYS.map((k) => `regenerate.${k}`), 'server.path', 'server.interpreter', 'server.importStrategy', 'trace.server'];
    for (const key of keys) {
      const prop = props[`artifactLsp.${key}`];
      assert.ok(prop, `artifactLsp.${key} is contributed`);
      assert.ok((prop.markdownDescription ?? prop.description ?? '').length > 20, `artifactLsp.${key} has a description`);
    }
    const restricted: string[] = pkg.capabilities.untrustedWorkspaces.restrictedConfigurations;
    assert.deepEqual(new Set(restricted), new Set(['artifactLsp.server.path', 'artifactLsp.server.interpreter', 'artifactLsp.server.importStrategy', 'artifactLsp.regenerate.script', 'artifactLsp.regenerate.args', 'artifactLsp.regenerate.env']));
    assert.equal(pkg.capabilities.untrustedWorkspaces.supported, 'limited');
  });
});

describe('document selection', () => {
  it('defaults to the three manifest names', () => {
    assert.deepEqual(documentGlobs(lookup({})), [...DEFAULT_GLOBS]);
    assert.deepEqual(documentGlobs(lookup({ documentGlobs: [] })), [...DEFAULT_GLOBS]);
    assert.deepEqual(documentGlobs(lookup({ documentGlobs: ['**/x.yml', 3, ' '] })), ['**/x.yml']);
  });

  it('selects files by pattern, never by language', () => {
    assert.deepEqual(documentSelector(DEFAULT_GLOBS), [
      { scheme: 'file', pattern: '**/artifact.yml' },
      { scheme: 'file', pattern: '**/artifact.json' },
      { scheme: 'file', pattern: '**/test_matrix.yaml' },
    ]);
  });

  it('anchors relative globs anywhere, like the server does', () => {
    assert.equal(clientPattern('e2e/**/artifact.yml'), '**/e2e/**/artifact.yml');
    assert.equal(clientPattern('./x.yml'), '**/x.yml');
    assert.equal(clientPattern('/abs/x.yml'), '/abs/x.yml');
    assert.equal(clientPattern('**/a.yml'), '**/a.yml');
  });

  it('findFilesGlob joins the patterns', () => {
    assert.equal(findFilesGlob(DEFAULT_GLOBS), '{**/artifact.yml,**/artifact.json,**/test_matrix.yaml}');
    assert.equal(findFilesGlob(['a.yml']), '**/a.yml');
  });
});

describe('regenerateArgs', () => {
  it('uses the folder when called without arguments', () => {
    assert.deepEqual(regenerateArgs(undefined, 'file:///ws'), { uri: 'file:///ws', targets: [] });
    assert.equal(regenerateArgs(undefined, undefined), undefined);
  });

  it('accepts a URI string or {uri, targets} (the code lens shape)', () => {
    assert.deepEqual(regenerateArgs('file:///ws/a/artifact.yml', 'file:///ws'), { uri: 'file:///ws/a/artifact.yml', targets: [] });
    assert.deepEqual(regenerateArgs({ uri: 'file:///ws/x', targets: ['e2e-docker', 7] }, undefined), { uri: 'file:///ws/x', targets: ['e2e-docker'] });
    assert.deepEqual(regenerateArgs({ targets: 'e2e-docker' }, 'file:///ws'), { uri: 'file:///ws', targets: ['e2e-docker'] });
  });
});
