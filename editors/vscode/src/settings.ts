/**
 * What the server gets from the `artifactLsp` settings section, and which documents the client
 * sends it. Pure logic (test/settings.test.ts).
 *
 * VS Code answers `workspace/configuration` for `artifactLsp` with every contributed key,
 * including the extension's own (`server.*`, `trace.*`) and `null` for everything unset. The
 * server treats unknown keys as a configuration error, and an explicit value as overriding its
 * config file, so the client sends only the keys the server reads, and only the ones set.
 */

export const SECTION = 'artifactLsp';

export const DEFAULT_GLOBS = ['**/artifact.yml', '**/artifact.json', '**/test_matrix.yaml'] as const;

/** keys of `artifactLsp` that the server reads (engine settings and its own) */
export const SERVER_KEYS = [
  'select',
  'ignore',
  'extendSelect',
  'severity',
  'exclude',
  'extraLegacyKeys',
  'extraMatrixLegacyKeys',
  'extraForbiddenPathSegments',
  'maxFileSize',
  'documentGlobs',
] as const;

export const REGENERATE_KEYS = ['script', 'args', 'env', 'timeout', 'fixtures', 'timestamps'] as const;

/** a `WorkspaceConfiguration.get`: the value of `artifactLsp.<key>` (dotted) or undefined */
export type Lookup = (key: string) => unknown;

function isSet(value: unknown): boolean {
  return value !== undefined && value !== null;
}

/** a plain JSON copy (VS Code hands out frozen proxies) */
function plain(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

/** The `artifactLsp` object the server gets (in `initializationOptions.settings` and `workspace/configuration`). */
export function serverSettings(get: Lookup): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of SERVER_KEYS) {
    const value = get(key);
    if (isSet(value)) out[key] = plain(value);
  }
  const regenerate: Record<string, unknown> = {};
  for (const key of REGENERATE_KEYS) {
    const value = get(`regenerate.${key}`);
    if (isSet(value)) regenerate[key] = plain(value);
  }
  if (Object.keys(regenerate).length > 0) out.regenerate = regenerate;
  return out;
}

/** The globs of the documents the server checks: `artifactLsp.documentGlobs`, else the defaults. */
export function documentGlobs(get: Lookup): string[] {
  const value = get('documentGlobs');
  if (Array.isArray(value)) {
    const globs = value.filter((g): g is string => typeof g === 'string' && g.trim() !== '').map((g) => g.trim());
    if (globs.length > 0) return globs;
  }
  return [...DEFAULT_GLOBS];
}

/**
 * A glob as VS Code matches it against a document's full path. The server matches a relative
 * glob (`e2e/**\/artifact.yml`) anywhere in the path, so the client does the same with `**\/`.
 */
export function clientPattern(glob: string): string {
  const g = glob.trim().replace(/\\/g, '/');
  if (g.startsWith('**/') || g.startsWith('/') || /^[A-Za-z]:\//.test(g)) return g;
  return `**/${g.replace(/^\.\//, '')}`;
}

export interface FileFilter {
  scheme: 'file';
  pattern: string;
}

/** The language client's document selector: files matching the globs, whatever their language. */
export function documentSelector(globs: readonly string[]): FileFilter[] {
  return [...new Set(globs.map(clientPattern))].map((pattern) => ({ scheme: 'file', pattern }));
}

/** One glob for `workspace.findFiles` that matches any of them. */
export function findFilesGlob(globs: readonly string[]): string {
  const patterns = [...new Set(globs.map(clientPattern))];
  return patterns.length === 1 ? patterns[0] : `{${patterns.join(',')}}`;
}

/** The server's `initializationOptions`. */
export function initializationOptions(get: Lookup, trusted: boolean): { workspaceTrusted: boolean; settings: Record<string, unknown> } {
  return { workspaceTrusted: trusted, settings: serverSettings(get) };
}

/** Settings whose change needs a new server process (or a new document selector). */
export const RESTART_KEYS = ['server.path', 'server.interpreter', 'server.importStrategy', 'documentGlobs'] as const;

/** The arguments of `artifact-lsp.regenerate`: `{uri, targets}` (a folder or a manifest's URI). */
export interface RegenerateArgs {
  uri: string;
  targets: string[];
}

/** Normalise what a caller passed to the Regenerate command (nothing, a URI string, or `{uri, targets}`). */
export function regenerateArgs(arg: unknown, fallbackUri: string | undefined): RegenerateArgs | undefined {
  let uri = fallbackUri;
  let targets: string[] = [];
  if (typeof arg === 'string' && arg !== '') {
    uri = arg;
  } else if (arg !== null && typeof arg === 'object') {
    const record = arg as { uri?: unknown; targets?: unknown };
    if (typeof record.uri === 'string' && record.uri !== '') uri = record.uri;
    else if (record.uri !== null && typeof record.uri === 'object' && typeof (record.uri as object).toString === 'function') {
      const text = String(record.uri);
      if (text.includes(':')) uri = text;
    }
    if (typeof record.targets === 'string') targets = [record.targets];
    else if (Array.isArray(record.targets)) targets = record.targets.filter((t): t is string => typeof t === 'string');
  }
  return uri === undefined ? undefined : { uri, targets };
}
