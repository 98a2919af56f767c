/**
 * Server-initiated work-done progress as a cancellable notification.
 *
 * vscode-languageclient shows `window/workDoneProgress/create` progress in the status bar,
 * where there is no Cancel button. The server's only long-running work is fixture regeneration,
 * which a person wants to see and be able to stop, so this feature (initialized after the
 * built-in one, whose handler it replaces) shows it in the notification area: the title, the
 * latest script line as the message, and Cancel sending `window/workDoneProgress/cancel` (the
 * server then stops the script and restores the fixtures).
 */

import * as vscode from 'vscode';
import {
  BaseLanguageClient,
  ClientCapabilities,
  Disposable,
  FeatureState,
  ProgressToken,
  StaticFeature,
  WorkDoneProgress,
  WorkDoneProgressBegin,
  WorkDoneProgressCancelNotification,
  WorkDoneProgressCreateParams,
  WorkDoneProgressCreateRequest,
  WorkDoneProgressEnd,
  WorkDoneProgressReport,
} from 'vscode-languageclient';

type Value = WorkDoneProgressBegin | WorkDoneProgressReport | WorkDoneProgressEnd;

class NotificationPart {
  private progress: vscode.Progress<{ message?: string; increment?: number }> | undefined;
  private resolve: (() => void) | undefined;
  private reported = 0;
  private subscription: Disposable;
  private pending: Value[] = [];
  private finished = false;

  constructor(
    private readonly client: BaseLanguageClient,
    private readonly token: ProgressToken,
    private readonly log: (line: string) => void,
    private readonly done: (part: NotificationPart) => void,
  ) {
    this.subscription = client.onProgress(WorkDoneProgress.type, token, (value: Value) => this.on(value));
  }

  private on(value: Value): void {
    if (value.kind === 'begin') {
      this.begin(value);
    } else if (this.progress === undefined) {
      this.pending.push(value); // withProgress has not called back yet
    } else if (value.kind === 'report') {
      this.report(value);
    } else {
      this.end(value);
    }
  }

  private begin(params: WorkDoneProgressBegin): void {
    const title = params.title.startsWith('Artifact LSP') ? params.title : `Artifact LSP: ${params.title}`;
    this.log(`[progress] ${params.title}${params.message ? `: ${params.message}` : ''}`);
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title, cancellable: params.cancellable === true },
      (progress, cancel) => {
        this.progress = progress;
        cancel.onCancellationRequested(() => {
          this.log('[progress] cancel requested');
          void this.client.sendNotification(WorkDoneProgressCancelNotification.type, { token: this.token });
        });
        const finished = new Promise<void>((resolve) => {
          this.resolve = resolve;
        });
        this.report(params);
        for (const value of this.pending.splice(0)) this.on(value);
        return finished;
      },
    );
  }

  private report(params: WorkDoneProgressBegin | WorkDoneProgressReport): void {
    if (this.progress === undefined) return;
    let increment: number | undefined;
    if (typeof params.percentage === 'number') {
      const percentage = Math.max(0, Math.min(100, params.percentage));
      increment = Math.max(0, percentage - this.reported);
      this.reported = Math.max(this.reported, percentage);
    }
    this.progress.report({ message: params.message, increment });
  }

  private end(params: WorkDoneProgressEnd): void {
    this.log(`[progress] done${params.message ? `: ${params.message}` : ''}`);
    this.finish();
  }

  finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.subscription.dispose();
    this.resolve?.();
    this.done(this);
  }
}

export class NotificationProgressFeature implements StaticFeature {
  private readonly parts = new Set<NotificationPart>();

  constructor(
    private readonly client: BaseLanguageClient,
    private readonly log: (line: string) => void,
  ) {}

  getState(): FeatureState {
    return { kind: 'window', id: WorkDoneProgressCreateRequest.method, registrations: this.parts.size > 0 };
  }

  fillClientCapabilities(capabilities: ClientCapabilities): void {
    capabilities.window = capabilities.window ?? {};
    capabilities.window.workDoneProgress = true;
  }

  initialize(): void {
    // registered after the built-in ProgressFeature, so this handler is the one that answers
    this.client.onRequest(WorkDoneProgressCreateRequest.type, (params: WorkDoneProgressCreateParams) => {
      this.parts.add(new NotificationPart(this.client, params.token, this.log, (part) => this.parts.delete(part)));
    });
  }

  clear(): void {
    for (const part of [...this.parts]) part.finish();
    this.parts.clear();
  }
}
