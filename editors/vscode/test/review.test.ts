// Unit tests for the regeneration review and undo (src/review.ts), with a scripted stand-in for
// the `vscode` module: which buttons the user clicks, what they pick, what the server answers.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import Module from 'node:module';
import * as os from 'node:os';
import * as nodePath from 'node:path';
import { describe, it } from 'node:test';

interface FakeUri {
  scheme: string;
  path: string;
  query: string;
}

const calls: { command: string; args: unknown[] }[] = [];
const script = { info: [] as (string | undefined)[], warning: [] as (string | undefined)[], pick: undefined as ((items: any[]) => any[] | undefined) | undefined };

const fakeVscode = {
  Uri: {
    file: (path: string): FakeUri => ({ scheme: 'file', path, query: '' }),
    from: (parts: Partial<FakeUri>): FakeUri => ({ scheme: parts.scheme ?? '', path: parts.path ?? '', query: parts.query ?? '' }),
  },
  window: {
    showInformationMessage: async () => script.info.shift(),
    showWarningMessage: async () => script.warning.shift(),
    showQuickPick: async (items: any[]) => (script.pick ? script.pick(items) : undefined),
  },
  commands: {
    registerCommand: () => ({ dispose() {} }),
    executeCommand: async (command: string, ...args: unknown[]) => {
      calls.push({ command, args });
    },
  },
  workspace: {
    registerTextDocumentContentProvider: () => ({ dispose() {} }),
    workspaceFolders: [{ uri: { toString: () => 'file:///ws' } }],
  },
};

// `require('vscode')` inside the bundle gets the fake
const realLoad = (Module as any)._load;
(Module as any)._load = function (request: string, ...rest: unknown[]) {
  return request === 'vscode' ? fakeVscode : realLoad.call(this, request, ...rest);
};
// eslint-disable-next-line @typescript-eslint/no-var-requires
const review = require('../src/review') as typeof import('../src/review');

const OUTCOME = {
  status: 'succeeded',
  message: 'regenerated: 0 added, 1 changed, 1 removed',
  review: {
    snapshot: '/cache/artifact-lsp/abc/data',
    files: [
      { path: 'e2e/artifacts/e2e-docker/artifact.yml', change: 'changed', before: '/cache/artifact-lsp/abc/data/0/e2e-docker/artifact.yml', after: '/ws/e2e/artifacts/e2e-docker/artifact.yml' },
      { path: 'e2e/artifacts/e2e-containerd/artifact.json', change: 'removed', before: '/cache/artifact-lsp/abc/data/0/e2e-containerd/artifact.json', after: null },
    ],
  },
};

function reset(): void {
  calls.length = 0;
  script.info = [];
  script.warning = [];
  script.pick = undefined;
}

describe('regeneration review', () => {
  it('offers nothing without changed files or after a failure', async () => {
    reset();
    assert.equal(review.reviewOf({ status: 'failed', review: OUTCOME.review }), undefined);
    assert.equal(review.reviewOf({ status: 'succeeded', review: { files: [] } }), undefined);
    assert.equal(review.reviewOf(null), undefined);
    assert.equal(review.reviewOf(OUTCOME)?.files.length, 2);
  });

  it('Review changes opens a diff per picked file, the snapshot side read-only', async () => {
    reset();
    const r = new review.RegenerationReview(async () => undefined, () => {});
    script.info = [review.REVIEW_BUTTON];
    let offered: any[] = [];
    script.pick = (items) => {
      offered = items;
      return items;
    };
    assert.equal(await r.offer(OUTCOME, 'file:///ws'), review.REVIEW_BUTTON);
    // the manifests come ticked: Enter alone opens their diffs
    assert.deepEqual(offered.map((i) => [i.label, i.picked]), [
      ['e2e/artifacts/e2e-docker/artifact.yml', true],
      ['e2e/artifacts/e2e-containerd/artifact.json', true],
    ]);
    const diffs = calls.filter((c) => c.command === 'vscode.diff');
    assert.equal(diffs.length, 2);
    const [left, right, title] = diffs[0].args as [FakeUri, FakeUri, string];
    assert.equal(left.scheme, review.SNAPSHOT_SCHEME);
    assert.equal(left.path, OUTCOME.review.files[0].before);
    assert.deepEqual(right, { scheme: 'file', path: OUTCOME.review.files[0].after, query: '' });
    assert.match(title, /e2e-docker\/artifact\.yml \(regeneration: before ↔ after\)/);
    const [, removedRight] = diffs[1].args as [FakeUri, FakeUri];
    assert.equal(removedRight.scheme, review.SNAPSHOT_SCHEME); // the empty side
    assert.equal(removedRight.path, '/empty');
  });

  it('Undo regeneration asks the server, and offers Undo anyway over later edits', async () => {
    reset();
    const sent: unknown[][] = [];
    const answers = [
      { status: 'refused', message: '1 path(s) changed since the regeneration (x): undo would discard those edits; use --force to undo anyway' },
      { status: 'undone', message: 'undid the regeneration: 3 path(s) restored' },
    ];
    const r = new review.RegenerationReview(async (command, args) => {
      sent.push([command, ...args]);
      return answers.shift();
    }, () => {});
    script.info = [review.UNDO_BUTTON];
    script.warning = ['Undo anyway'];
    await r.offer(OUTCOME, 'file:///ws');
    assert.deepEqual(sent, [
      [review.SERVER_UNDO, 'file:///ws'],
      [review.SERVER_UNDO, { uri: 'file:///ws', force: true }],
    ]);
  });

  it('without a manifest among the files, the first one comes ticked', async () => {
    reset();
    const r = new review.RegenerationReview(async () => undefined, () => {});
    let offered: any[] = [];
    script.pick = (items) => {
      offered = items;
      return undefined; // Escape: no diff
    };
    await r.review({
      snapshot: '/s',
      files: [
        { path: 'e2e/artifacts/e2e-docker/entries/x/config/a.yml', change: 'changed', before: '/s/0/a.yml', after: '/ws/a.yml' },
        { path: 'e2e/artifacts/e2e-docker/entries/x/config/b.yml', change: 'added', before: null, after: '/ws/b.yml' },
      ],
    });
    assert.deepEqual(offered.map((i) => i.picked), [true, false]);
    assert.equal(calls.filter((c) => c.command === 'vscode.diff').length, 0);
  });

  it('a later run\'s review does not show an earlier snapshot of the same path', async () => {
    // every run's snapshot copy of a file has the same path; VS Code keeps a virtual document
    // it has shown, so the two runs' snapshot sides must be different URIs
    reset();
    const r = new review.RegenerationReview(async () => undefined, () => {});
    const one = { ...OUTCOME, review: { ...OUTCOME.review, files: [OUTCOME.review.files[0]] } };
    script.info = [review.REVIEW_BUTTON, review.REVIEW_BUTTON];
    await r.offer(one, 'file:///ws');
    await r.offer(one, 'file:///ws');
    const lefts = calls.filter((c) => c.command === 'vscode.diff').map((c) => c.args[0] as FakeUri);
    assert.equal(lefts.length, 2);
    assert.equal(lefts[0].path, lefts[1].path);
    assert.notEqual(`${lefts[0].scheme}:${lefts[0].path}?${lefts[0].query}`, `${lefts[1].scheme}:${lefts[1].path}?${lefts[1].query}`);
    // the palette's "Review regeneration changes" shows the last run's
    await r.reviewLast();
    const again = calls.filter((c) => c.command === 'vscode.diff').map((c) => c.args[0] as FakeUri)[2];
    assert.deepEqual(again, lefts[1]);
  });

  it('a code lens run (the server command through the client) is offered for review too', () => {
    const args = [{ uri: 'file:///ws/e2e/artifacts/e2e-docker/artifact.yml', targets: ['e2e-docker'] }];
    assert.deepEqual(review.regeneratedBy(review.SERVER_REGENERATE, args, OUTCOME, 'file:///ws'), {
      outcome: OUTCOME,
      uri: 'file:///ws/e2e/artifacts/e2e-docker/artifact.yml',
    });
    assert.deepEqual(review.regeneratedBy(review.SERVER_REGENERATE, [], OUTCOME, 'file:///ws'), { outcome: OUTCOME, uri: 'file:///ws' });
    assert.equal(review.regeneratedBy('artifact-lsp.fixAll', args, OUTCOME, 'file:///ws'), undefined);
    assert.equal(review.regeneratedBy(review.SERVER_REGENERATE, args, null, 'file:///ws'), undefined);
    assert.equal(review.regeneratedBy(review.SERVER_REGENERATE, [], OUTCOME, undefined), undefined);
  });

  it('the snapshot side: a regular file\'s text, capped, a note when it is gone', async () => {
    const dir = fs.mkdtempSync(nodePath.join(os.tmpdir(), 'al-review-'));
    try {
      const file = nodePath.join(dir, 'artifact.yml');
      fs.writeFileSync(file, 'project: x\n');
      assert.equal(await review.snapshotText(file), 'project: x\n');
      assert.match(await review.snapshotText(file, 4), /11 bytes, over the 4-byte limit/);
      assert.match(await review.snapshotText(dir), /not a regular file/);
      fs.symlinkSync(file, nodePath.join(dir, 'link.yml'));
      assert.match(await review.snapshotText(nodePath.join(dir, 'link.yml')), /not a regular file/);
      assert.match(await review.snapshotText(nodePath.join(dir, 'gone.yml')), /the snapshot copy is gone/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
