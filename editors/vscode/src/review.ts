/**
 * Review and undo of a fixture regeneration.
 *
 * After a successful run that changed files, the server's result carries `review.files`: each
 * changed, added or removed file with the snapshot copy of its pre-run bytes (`before`, kept in
 * the user cache until the next run or an undo) and its path now (`after`). "Review changes"
 * opens a diff editor per file (one file: at once; more: a list to pick from), with the
 * snapshot side read-only; "Undo regeneration" asks the server (`artifact-lsp.undoRegeneration`)
 * to put the pre-run bytes back, and offers "Undo anyway" when the fixtures were edited since.
 */

import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { regenerateArgs } from './settings';

export const SERVER_REGENERATE = 'artifact-lsp.regenerate';
export const SERVER_UNDO = 'artifact-lsp.undoRegeneration';
export const REVIEW_BUTTON = 'Review changes';
export const UNDO_BUTTON = 'Undo regeneration';
/** Read-only documents: a snapshot copy (`path` is the copy's path), or an empty side. */
export const SNAPSHOT_SCHEME = 'artifact-lsp-snapshot';

export interface ReviewFile {
  path: string;
  change: 'changed' | 'added' | 'removed';
  before: string | null;
  after: string | null;
}

export interface Review {
  snapshot: string;
  files: ReviewFile[];
}

export interface UndoResult {
  status: string;
  message: string;
}

/** The files a manifest review starts from (the server's FILE_KINDS). */
const MANIFEST = /(^|\/)(artifact\.yml|artifact\.json|test_matrix\.yaml)$/;

/** Sends `workspace/executeCommand` to the server. */
export type Execute = (command: string, args: unknown[]) => Promise<unknown>;

/** The review part of a regenerate result, checked (undefined when there is nothing to review). */
export function reviewOf(outcome: unknown): Review | undefined {
  if (typeof outcome !== 'object' || outcome === null) return undefined;
  const o = outcome as { status?: unknown; review?: unknown };
  if (o.status !== 'succeeded' || typeof o.review !== 'object' || o.review === null) return undefined;
  const review = o.review as { snapshot?: unknown; files?: unknown };
  if (!Array.isArray(review.files)) return undefined;
  const files = review.files.filter(
    (f): f is ReviewFile =>
      typeof f === 'object' && f !== null && typeof (f as ReviewFile).path === 'string' && ['changed', 'added', 'removed'].includes((f as ReviewFile).change),
  );
  if (files.length === 0) return undefined;
  return { snapshot: typeof review.snapshot === 'string' ? review.snapshot : '', files };
}

/**
 * A server `artifact-lsp.regenerate` that VS Code ran itself (a code lens runs the server's
 * command through the client, not through `artifactLsp.regenerateFixtures`): its outcome and
 * the URI it ran on, so the review and the undo are offered after it too.
 */
export function regeneratedBy(command: string, args: unknown[] | undefined, outcome: unknown, fallbackUri: string | undefined): { outcome: unknown; uri: string } | undefined {
  if (command !== SERVER_REGENERATE || outcome === null || outcome === undefined) return undefined;
  const uri = regenerateArgs(args?.[0], fallbackUri)?.uri;
  return uri === undefined ? undefined : { outcome, uri };
}

/**
 * The two sides of a file's diff: the snapshot copy (read-only) and the file now. `run` tells
 * the runs apart: every run's snapshot copy of a file has the same path, and VS Code keeps a
 * virtual document it has shown, so without it a later review would show an earlier snapshot.
 */
export function diffSides(file: ReviewFile, run = 0): { left: vscode.Uri; right: vscode.Uri; title: string } {
  const empty = vscode.Uri.from({ scheme: SNAPSHOT_SCHEME, path: '/empty', query: file.path });
  const left = file.before ? vscode.Uri.from({ scheme: SNAPSHOT_SCHEME, path: file.before, query: `run=${run}` }) : empty;
  const right = file.after ? vscode.Uri.file(file.after) : empty;
  const what = file.change === 'changed' ? 'before ↔ after' : file.change === 'added' ? 'added' : 'removed';
  return { left, right, title: `${file.path} (regeneration: ${what})` };
}

/** Snapshot copies larger than this are not shown in a diff (the editor would stall). */
export const MAX_SNAPSHOT_BYTES = 10 * 1024 * 1024;

/** A snapshot copy's text for the diff's read-only side: a regular file up to `cap` bytes,
 * read without blocking the extension host; otherwise a line saying why it is not shown. */
export async function snapshotText(path: string, cap = MAX_SNAPSHOT_BYTES): Promise<string> {
  try {
    const st = await fs.promises.lstat(path);
    if (!st.isFile()) return '(the snapshot entry is not a regular file)';
    if (st.size > cap) return `(the snapshot copy is ${st.size} bytes, over the ${cap}-byte limit of the diff view: ${path})`;
    return await fs.promises.readFile(path, 'utf8');
  } catch (err) {
    return `(the snapshot copy is gone: ${(err as Error).message})`;
  }
}

export class RegenerationReview implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private last: { review: Review; root: string; run: number } | undefined;
  private runs = 0;

  constructor(
    private readonly execute: Execute,
    private readonly log: (message: string) => void,
  ) {
    this.disposables.push(
      vscode.workspace.registerTextDocumentContentProvider(SNAPSHOT_SCHEME, {
        provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
          return uri.path === '/empty' ? Promise.resolve('') : snapshotText(uri.path);
        },
      }),
      vscode.commands.registerCommand('artifactLsp.reviewRegeneration', () => this.reviewLast()),
    );
  }

  /** After a run: when it changed files, offer the review and the undo. */
  async offer(outcome: unknown, root: string): Promise<string | undefined> {
    const review = reviewOf(outcome);
    if (review === undefined) return undefined;
    this.runs += 1;
    this.last = { review, root, run: this.runs };
    const n = review.files.length;
    const pick = await vscode.window.showInformationMessage(
      `Artifact LSP: the regeneration changed ${n} file${n === 1 ? '' : 's'}.`,
      REVIEW_BUTTON,
      UNDO_BUTTON,
    );
    if (pick === REVIEW_BUTTON) await this.review(review, this.runs);
    else if (pick === UNDO_BUTTON) await this.undo(root);
    return pick;
  }

  async reviewLast(): Promise<void> {
    if (this.last === undefined) {
      void vscode.window.showInformationMessage('Artifact LSP: no regeneration to review in this session.');
      return;
    }
    await this.review(this.last.review, this.last.run);
  }

  /**
   * One file: its diff. More: a list to pick from (several at once), a diff per pick. The
   * manifests come ticked (the first file when there is none), so Enter alone opens them.
   */
  async review(review: Review, run = this.runs): Promise<void> {
    let files = review.files;
    if (files.length > 1) {
      const manifests = new Set(files.filter((f) => MANIFEST.test(f.path)));
      if (manifests.size === 0) manifests.add(files[0]);
      const picked = await vscode.window.showQuickPick(
        files.map((f) => ({ label: f.path, description: f.change, picked: manifests.has(f), file: f })),
        { canPickMany: true, placeHolder: 'Files the regeneration changed: pick the ones to diff against the snapshot' },
      );
      if (picked === undefined) return;
      files = picked.map((p) => p.file);
    }
    for (const file of files) {
      const { left, right, title } = diffSides(file, run);
      await vscode.commands.executeCommand('vscode.diff', left, right, title, { preview: files.length === 1 });
    }
  }

  /** Put back the pre-run bytes; when the fixtures were edited since, ask before forcing. */
  async undo(root?: string): Promise<UndoResult | undefined> {
    const uri = root ?? this.last?.root ?? vscode.workspace.workspaceFolders?.[0]?.uri.toString();
    if (uri === undefined) return undefined;
    let result = (await this.execute(SERVER_UNDO, [uri])) as UndoResult | null;
    this.log(`undo regeneration: ${result?.status}: ${result?.message}`);
    if (result?.status === 'refused' && result.message.includes('--force')) {
      const again = await vscode.window.showWarningMessage(`Artifact LSP: ${result.message.replace('use --force', 'undo anyway')}`, 'Undo anyway');
      if (again === 'Undo anyway') {
        result = (await this.execute(SERVER_UNDO, [{ uri, force: true }])) as UndoResult | null;
        this.log(`undo regeneration (forced): ${result?.status}: ${result?.message}`);
      }
    }
    if (result?.status === 'undone') this.last = undefined;
    return result ?? undefined;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
