/**
 * Loading the third-party plugins named in OUTPOST_PLUGINS: each entry is a
 * package name or a path (a file, or a package folder with its package.json).
 * Package names are looked up in the node_modules of the directory npm was
 * started from (INIT_CWD), then of the working directory, then Outpost's own;
 * relative paths are taken from the working directory. Before the first import,
 * `outpost/plugin` is made to resolve to this server's API from anywhere
 * (outpost-specifier-hook.mjs), so a plugin package needs no copy of Outpost.
 * Plugins may be TypeScript (tsx runs them) or JavaScript, as ES modules.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { register } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { outpostError } from '../errors.js';
import type { OutpostPlugin } from './plugin-api.js';

let hookRegistered = false;

/** Makes `outpost` and `outpost/*` resolve to this package for every importer (once per process). */
function registerOutpostSpecifier(): void {
  if (hookRegistered) return;
  hookRegistered = true;
  const packageJsonUrl = new URL('../../package.json', import.meta.url).href;
  register('./outpost-specifier-hook.mjs', import.meta.url, { data: { packageJsonUrl } });
}

/** The module a package folder exports as its entry: exports["."] (import or default), else main, else index.{ts,js}. */
function packageEntry(folder: string): string | undefined {
  const manifestPath = path.join(folder, 'package.json');
  if (!existsSync(manifestPath)) return undefined;
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { exports?: unknown; main?: string };
  const fromExports = (value: unknown): string | undefined => {
    if (typeof value === 'string') return value;
    if (value && typeof value === 'object') {
      const conditions = value as Record<string, unknown>;
      return fromExports(conditions['.'] ?? conditions.import ?? conditions.default);
    }
    return undefined;
  };
  const entry = fromExports(manifest.exports) ?? manifest.main ?? ['index.ts', 'index.js'].find((name) => existsSync(path.join(folder, name)));
  return entry === undefined ? undefined : path.resolve(folder, entry);
}

/** The file `specifier` names, or undefined for a package name Node should resolve itself. */
function pluginFile(specifier: string): string | undefined {
  const isPath = specifier.startsWith('.') || path.isAbsolute(specifier);
  if (isPath) {
    const target = path.resolve(specifier);
    const isFolder = existsSync(target) && statSync(target).isDirectory();
    return isFolder ? packageEntry(target) ?? target : target;
  }
  const bases = [process.env.INIT_CWD, process.cwd()].filter((base): base is string => Boolean(base));
  for (const base of new Set(bases)) {
    const folder = path.join(base, 'node_modules', ...specifier.split('/'));
    if (existsSync(path.join(folder, 'package.json'))) return packageEntry(folder);
  }
  return undefined;
}

/** Imports the plugin `specifier` names; its default export must be a plugin definition. */
export async function importPlugin(specifier: string): Promise<OutpostPlugin> {
  registerOutpostSpecifier();
  let loaded: { default?: OutpostPlugin };
  try {
    const file = pluginFile(specifier);
    loaded = (await import(file === undefined ? specifier : pathToFileURL(file).href)) as { default?: OutpostPlugin };
  } catch (error) {
    const reason = (error as Error).message.split('\n')[0];
    // Node loads a .ts or .js file outside any "type": "module" package as CommonJS, where only ESM resolution knows outpost/plugin
    const hint = /Require stack/.test((error as Error).message) ? '; a plugin must be an ES module: give its package.json "type": "module" (or name the file .mts or .mjs)' : '';
    throw outpostError('plugin_invalid', `cannot load plugin "${specifier}" from OUTPOST_PLUGINS: ${reason}${hint}`);
  }
  if (!loaded.default) throw outpostError('plugin_invalid', `plugin "${specifier}" has no default export; export default definePlugin({...})`);
  return loaded.default;
}
