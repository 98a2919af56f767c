/**
 * Artifact LSP for VS Code: starts the artifact-lsp language server for `artifact.yml`,
 * `artifact.json` and `test_matrix.yaml`, and adds the palette commands.
 *
 * The extension wakes up when the workspace contains one of those files or a YAML/JSON file is
 * opened, but the server process starts only once a matching file is open or exists in the
 * workspace: other YAML never starts (or is sent to) the server.
 */

import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as nodePath from 'node:path';
import * as vscode from 'vscode';
import {
  DidChangeConfigurationNotification,
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  RevealOutputChannelOn,
  ServerOptions,
  State,
  TransportKind,
} from 'vscode-languageclient/node';

import { NotificationProgressFeature } from './progress';
import { RegenerationReview, regeneratedBy } from './review';
import {
  PROBE_SCRIPT,
  PythonExtensionInterpreter,
  PythonProbe,
  ResolveDeps,
  ServerCommand,
  parseProbe,
  resolveServer,
  startFailureMessage,
  versionMismatch,
  whichIn,
} from './resolve';
import {
  RESTART_KEYS,
  SECTION,
  documentGlobs,
  documentSelector,
  findFilesGlob,
  initializationOptions,
  regenerateArgs,
  serverSettings,
} from './settings';

const SERVER_REGENERATE = 'artifact-lsp.regenerate';
const SERVER_FIX_ALL = 'artifact-lsp.fixAll';

export interface RegenerateOutcome {
  status: string;
  message: string;
  [key: string]: unknown;
}

function config(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration(SECTION);
}

function lookup(scope?: vscode.Uri): (key: string) => unknown {
  const section = vscode.workspace.getConfiguration(SECTION, scope ?? null);
  return (key) => section.get(key);
}

function isExecutableFile(path: string): boolean {
  try {
    if (!fs.statSync(path).isFile()) return false;
    if (process.platform === 'win32') return true;
    fs.accessSync(path, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Run PROBE_SCRIPT with `python` (from the launcher's folder: never the workspace's modules). */
function probePython(python: string, cwd: string): Promise<PythonProbe> {
  return new Promise((resolve) => {
    const env = { ...process.env };
    delete env.PYTHONSTARTUP;
    execFile(python, ['-c', PROBE_SCRIPT], { cwd, timeout: 20000, windowsHide: true, env }, (error, stdout, stderr) => {
      if (!error) return resolve(parseProbe(String(stdout)));
      const lines = String(stderr).split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
      resolve({ ok: false, detail: lines[lines.length - 1] ?? error.message });
    });
  });
}

/** The part of ms-python.python's API that is used (newer releases: `environments`; older: `environment`). */
interface PythonEnvironmentsApi {
  getActiveEnvironmentPath(resource?: vscode.Uri): { id?: string; path: string } | undefined;
  resolveEnvironment(env: unknown): Promise<{ executable?: { uri?: vscode.Uri } } | undefined>;
  onDidChangeActiveEnvironmentPath?: vscode.Event<unknown>;
}

const PYTHON_EXTENSION = 'ms-python.python';

async function pythonEnvironmentsApi(): Promise<PythonEnvironmentsApi | undefined> {
  const extension = vscode.extensions.getExtension(PYTHON_EXTENSION);
  if (extension === undefined) return undefined;
  const exports = (extension.isActive ? extension.exports : await extension.activate()) as
    | { environments?: PythonEnvironmentsApi; environment?: PythonEnvironmentsApi }
    | undefined;
  return exports?.environments ?? exports?.environment;
}

/** a Python extension that does not answer must not keep the server from starting */
const PYTHON_EXTENSION_PATIENCE_MS = 15000;

/** The interpreter the Python extension has selected for the first workspace folder. */
async function pythonExtensionInterpreter(): Promise<PythonExtensionInterpreter> {
  if (vscode.extensions.getExtension(PYTHON_EXTENSION) === undefined) return { note: `the Python extension (${PYTHON_EXTENSION}) is not installed` };
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<PythonExtensionInterpreter>((resolve) => {
    timer = setTimeout(() => resolve({ note: `it did not answer within ${PYTHON_EXTENSION_PATIENCE_MS / 1000} s` }), PYTHON_EXTENSION_PATIENCE_MS);
  });
  try {
    return await Promise.race([askPythonExtension(), late]);
  } finally {
    clearTimeout(timer);
  }
}

async function askPythonExtension(): Promise<PythonExtensionInterpreter> {
  try {
    const api = await pythonEnvironmentsApi();
    if (api === undefined) return { note: 'the Python extension offers no environments API' };
    const active = api.getActiveEnvironmentPath(vscode.workspace.workspaceFolders?.[0]?.uri);
    if (active === undefined) return { note: 'no interpreter selected' };
    const resolved = await api.resolveEnvironment(active);
    const path = resolved?.executable?.uri?.fsPath;
    return path ? { path } : { note: `its environment ${active.path} has no Python executable` };
  } catch (error) {
    return { note: `its API failed (${error instanceof Error ? error.message : String(error)})` };
  }
}

function resolveDeps(launcher: string): ResolveDeps {
  return {
    isExecutableFile,
    which: (name) => whichIn(name, process.env.PATH ?? '', isExecutableFile, process.platform, process.env.PATHEXT),
    probePython: (python) => probePython(python, nodePath.dirname(launcher)),
    pythonExtension: pythonExtensionInterpreter,
  };
}

class Controller implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private starting: Promise<LanguageClient | undefined> | undefined;
  private server: ServerCommand | undefined;
  private watcher: vscode.Disposable | undefined;
  /** the last start failed: opening more files does not retry (commands and setting changes do) */
  private failed = false;
  private readonly disposables: vscode.Disposable[] = [];

  private readonly deps: ResolveDeps;

  constructor(
    private readonly output: vscode.LogOutputChannel,
    private readonly launcher: string,
    private readonly version: string,
  ) {
    this.deps = resolveDeps(launcher);
  }

  private log(line: string): void {
    this.output.info(line);
  }

  private selector() {
    return documentSelector(documentGlobs(lookup()));
  }

  matches(document: vscode.TextDocument): boolean {
    return vscode.languages.match(this.selector(), document) > 0;
  }

  /** Start the server when a file of ours is open or in the workspace; otherwise wait for one. */
  async startWhenNeeded(): Promise<void> {
    if (vscode.workspace.textDocuments.some((d) => this.matches(d))) {
      await this.ensure();
      return;
    }
    if ((vscode.workspace.workspaceFolders ?? []).length > 0) {
      const globs = documentGlobs(lookup());
      const found = await vscode.workspace.findFiles(findFilesGlob(globs), '**/{node_modules,.git,.venv}/**', 1);
      if (found.length > 0) {
        await this.ensure();
        return;
      }
    }
    if (this.watcher === undefined) {
      this.watcher = vscode.workspace.onDidOpenTextDocument((document) => {
        if (this.client === undefined && this.starting === undefined && !this.failed && this.matches(document)) void this.ensure();
      });
      this.disposables.push(this.watcher);
    }
  }

  /** The running client, starting it if needed (undefined when the server cannot start). */
  async ensure(): Promise<LanguageClient | undefined> {
    if (this.client !== undefined && this.client.state === State.Running) return this.client;
    if (this.starting === undefined) {
      this.starting = this.start().finally(() => {
        this.starting = undefined;
      });
    }
    return this.starting;
  }

  private async start(): Promise<LanguageClient | undefined> {
    if (this.client !== undefined) await this.stop();
    const client = await this.startClient();
    this.failed = client === undefined;
    return client;
  }

  private async startClient(): Promise<LanguageClient | undefined> {
    const trusted = vscode.workspace.isTrusted;
    const resolution = await resolveServer(
      {
        settings: {
          path: config().get<string | null>('server.path'),
          interpreter: config().get<string | null>('server.interpreter'),
          importStrategy: config().get<string | null>('server.importStrategy'),
        },
        workspaceFolders: (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath),
        trusted,
        home: os.homedir(),
        launcher: this.launcher,
      },
      this.deps,
    );
    for (const line of resolution.tried) this.log(`server lookup: ${line}`);
    if (!resolution.ok) {
      this.output.error(resolution.message);
      void this.showError(resolution.message);
      return undefined;
    }
    const server = resolution.server;
    this.server = server;
    if (server.source === 'python extension') void this.watchPythonExtension();
    this.log(`starting the server: ${server.description}${trusted ? '' : ' (untrusted workspace: regeneration disabled)'}`);
    const serverOptions: ServerOptions = {
      command: server.command,
      args: server.args,
      transport: TransportKind.stdio,
      options: { env: { ...process.env, ...server.env, PYTHONUNBUFFERED: '1' } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: this.selector(),
      outputChannel: this.output,
      traceOutputChannel: this.output,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      initializationOptions: initializationOptions(lookup(), trusted),
      initializationFailedHandler: (error) => {
        const message = startFailureMessage(server, error instanceof Error ? error.message : String(error));
        this.output.error(message);
        void this.showError(message);
        return false;
      },
      middleware: {
        // a code lens runs the server's regenerate command through the client: offer the
        // review and the undo after it too (the palette command sends its request itself)
        executeCommand: async (command, args, next) => {
          const result = await next(command, args);
          const ran = regeneratedBy(command, args, result, vscode.workspace.workspaceFolders?.[0]?.uri.toString());
          if (ran !== undefined) {
            const outcome = ran.outcome as RegenerateOutcome;
            this.log(`regenerate (code lens): ${outcome.status}: ${outcome.message}`);
            void this.onRegenerated?.(outcome, ran.uri);
          }
          return result;
        },
        workspace: {
          // only the keys the server reads, only the ones set (see settings.ts)
          configuration: async (params, token, next) => {
            const answer = await next(params, token);
            if (!Array.isArray(answer)) return answer;
            return params.items.map((item, i) =>
              item.section === SECTION
                ? serverSettings(lookup(item.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined))
                : answer[i],
            );
          },
        },
      },
    };
    const client = new LanguageClient('artifactLsp', 'Artifact LSP', serverOptions, clientOptions);
    client.registerFeature(new NotificationProgressFeature(client, (line) => this.log(line)));
    this.client = client;
    try {
      await client.start();
    } catch (error) {
      const message = startFailureMessage(server, error instanceof Error ? error.message : String(error));
      this.output.error(message);
      void this.showError(message);
      this.client = undefined;
      try {
        await client.dispose(2000);
      } catch {
        // it never ran
      }
      return undefined;
    }
    const info = client.initializeResult?.serverInfo;
    this.log(`server running: ${info ? `${info.name} ${info.version ?? ''}`.trim() : 'artifact-lsp'}`);
    const mismatch = versionMismatch(this.version, info?.version, server);
    if (mismatch !== undefined) {
      this.output.warn(mismatch);
      void vscode.window.showWarningMessage(`Artifact LSP: ${mismatch}`);
    }
    return client;
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client === undefined) return;
    try {
      await client.dispose(3000);
    } catch (error) {
      this.output.warn(`stopping the server: ${String(error)}`);
    }
  }

  async restart(): Promise<LanguageClient | undefined> {
    this.log('restarting the server');
    if (this.starting !== undefined) await this.starting;
    await this.stop();
    return this.ensure();
  }

  /** Restart a running (or failed) server; otherwise start it when needed. */
  async refresh(): Promise<void> {
    this.failed = false;
    if (this.client !== undefined || this.server !== undefined) await this.restart();
    else await this.startWhenNeeded();
  }

  private pythonWatch: vscode.Disposable | undefined;

  /** The server runs on the Python extension's interpreter: a new selection restarts it. */
  private async watchPythonExtension(): Promise<void> {
    if (this.pythonWatch !== undefined) return;
    try {
      const api = await pythonEnvironmentsApi();
      if (api?.onDidChangeActiveEnvironmentPath === undefined || this.pythonWatch !== undefined) return;
      this.pythonWatch = api.onDidChangeActiveEnvironmentPath(() => {
        if (this.server?.source !== 'python extension') return;
        this.log('the Python extension selected another interpreter: restarting the server');
        void this.refresh();
      });
      this.disposables.push(this.pythonWatch);
    } catch (error) {
      this.output.warn(`cannot follow the Python extension's interpreter: ${String(error)}`);
    }
  }

  private async showError(message: string): Promise<void> {
    const choice = await vscode.window.showErrorMessage(`Artifact LSP: ${message}`, 'Open Settings', 'Show Output');
    if (choice === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'artifactLsp.server');
    else if (choice === 'Show Output') this.output.show(true);
  }

  async onConfigurationChanged(event: vscode.ConfigurationChangeEvent): Promise<void> {
    if (!event.affectsConfiguration(SECTION)) return;
    if (RESTART_KEYS.some((key) => event.affectsConfiguration(`${SECTION}.${key}`))) {
      await this.refresh();
      return;
    }
    const client = this.client;
    if (client !== undefined && client.state === State.Running) {
      // the server asks again with workspace/configuration (through the middleware above)
      await client.sendNotification(DidChangeConfigurationNotification.type, { settings: null });
    }
  }

  // ---------------------------------------------------------------- commands

  async regenerate(arg?: unknown): Promise<RegenerateOutcome | undefined> {
    if (!vscode.workspace.isTrusted) {
      const message =
        'Regenerate fixtures runs the workspace\'s regenerate script, so it is disabled in an untrusted workspace. ' +
        'Trust this workspace (command "Workspaces: Manage Workspace Trust") to use it.';
      this.output.warn(`regenerate refused: ${message}`);
      void vscode.window.showErrorMessage(`Artifact LSP: ${message}`);
      return { status: 'refused', message };
    }
    let fallback: string | undefined;
    if (arg === undefined) {
      const folder = await this.pickFolder();
      if (folder === undefined) {
        const folders = vscode.workspace.workspaceFolders ?? [];
        if (folders.length === 0) {
          void vscode.window.showErrorMessage('Artifact LSP: open a folder first: fixtures are regenerated by the workspace\'s script.');
        }
        return undefined;
      }
      fallback = folder.uri.toString();
    }
    const args = regenerateArgs(arg, fallback);
    if (args === undefined) return undefined;
    const client = await this.ensure();
    if (client === undefined) return undefined;
    this.log(`regenerate ${args.uri}${args.targets.length ? ` (${args.targets.join(', ')})` : ' (all environments)'}`);
    const outcome = (await client.sendRequest(ExecuteCommandRequest.type, {
      command: SERVER_REGENERATE,
      arguments: [args],
    })) as RegenerateOutcome | null;
    // the server shows the outcome itself (window/showMessage); keep a record here
    if (outcome) this.log(`regenerate: ${outcome.status}: ${outcome.message}`);
    if (outcome) void this.onRegenerated?.(outcome, args.uri); // review / undo (review.ts)
    return outcome ?? undefined;
  }

  onRegenerated?: (outcome: RegenerateOutcome, uri: string) => Promise<unknown>;

  /** `workspace/executeCommand` on the running (or started) server. */
  async execute(command: string, args: unknown[]): Promise<unknown> {
    const client = await this.ensure();
    if (client === undefined) return undefined;
    return client.sendRequest(ExecuteCommandRequest.type, { command, arguments: args });
  }

  private async pickFolder(): Promise<vscode.WorkspaceFolder | undefined> {
    const folders = vscode.workspace.workspaceFolders ?? [];
    const active = vscode.window.activeTextEditor?.document.uri;
    if (active !== undefined) {
      const folder = vscode.workspace.getWorkspaceFolder(active);
      if (folder !== undefined) return folder;
    }
    if (folders.length <= 1) return folders[0];
    return vscode.window.showWorkspaceFolderPick({ placeHolder: 'Regenerate the fixtures of which folder?' });
  }

  async fixAll(arg?: unknown): Promise<{ applied: boolean; fixed: number; message: string } | undefined> {
    let uri: vscode.Uri | undefined;
    if (arg instanceof vscode.Uri) uri = arg;
    else if (typeof arg === 'string') uri = vscode.Uri.parse(arg);
    else uri = vscode.window.activeTextEditor?.document.uri;
    if (uri === undefined) {
      void vscode.window.showInformationMessage('Artifact LSP: open an artifact.yml, artifact.json or test_matrix.yaml first.');
      return undefined;
    }
    const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri!.toString());
    if (document === undefined || !this.matches(document)) {
      void vscode.window.showInformationMessage(`Artifact LSP: ${vscode.workspace.asRelativePath(uri)} is not a file artifact-lsp checks.`);
      return undefined;
    }
    const client = await this.ensure();
    if (client === undefined) return undefined;
    const result = (await client.sendRequest(ExecuteCommandRequest.type, {
      command: SERVER_FIX_ALL,
      arguments: [client.code2ProtocolConverter.asUri(uri)],
    })) as { applied: boolean; fixed: number; message: string } | null;
    if (result?.applied) {
      void vscode.window.showInformationMessage(`Artifact LSP: removed ${result.fixed} legacy key${result.fixed === 1 ? '' : 's'} (not saved yet).`);
    } else {
      void vscode.window.showInformationMessage(`Artifact LSP: ${result?.message || 'nothing to fix'}.`);
    }
    return result ?? undefined;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

let controller: Controller | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel('Artifact LSP', { log: true });
  const version = String(context.extension.packageJSON.version);
  const ctl = new Controller(output, context.asAbsolutePath(nodePath.join('bundled', 'tool', 'server.py')), version);
  controller = ctl;
  const review = new RegenerationReview((command, args) => ctl.execute(command, args), (m) => output.info(m));
  ctl.onRegenerated = (outcome, uri) => review.offer(outcome, uri);
  context.subscriptions.push(
    output,
    ctl,
    review,
    vscode.commands.registerCommand('artifactLsp.undoRegeneration', () => review.undo()),
    vscode.commands.registerCommand('artifactLsp.regenerateFixtures', (arg?: unknown) => ctl.regenerate(arg)),
    vscode.commands.registerCommand('artifactLsp.fixAll', (arg?: unknown) => ctl.fixAll(arg)),
    vscode.commands.registerCommand('artifactLsp.restartServer', () => ctl.restart()),
    vscode.commands.registerCommand('artifactLsp.showOutput', () => output.show(true)),
    vscode.workspace.onDidChangeConfiguration((event) => ctl.onConfigurationChanged(event)),
    // trust granted: the server learns it (initializationOptions.workspaceTrusted) and the
    // workspace's restricted settings apply now
    vscode.workspace.onDidGrantWorkspaceTrust(() => void ctl.refresh()),
  );
  output.info(`Artifact LSP ${version} activated (VS Code ${vscode.version}, workspace ${vscode.workspace.isTrusted ? 'trusted' : 'untrusted'})`);
  void ctl.startWhenNeeded();
}

export async function deactivate(): Promise<void> {
  await controller?.stop();
  controller = undefined;
}
