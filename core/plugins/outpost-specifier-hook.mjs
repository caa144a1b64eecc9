/**
 * A Node module resolution hook (module.register) for third-party plugins: the
 * specifiers `outpost` and `outpost/...` resolve as if imported from Outpost's
 * own package, whatever folder the importing plugin lives in. A plugin package
 * installed outside the checkout (or linked into node_modules, which Node
 * resolves to its real path) has no `outpost` of its own to find; this gives it
 * the running server's plugin API, the same module instance the core uses.
 * Plain JavaScript: hooks run on Node's loader thread, before tsx would apply.
 */
let outpostPackageJsonUrl;

export function initialize(data) {
  outpostPackageJsonUrl = data.packageJsonUrl;
}

export async function resolve(specifier, context, nextResolve) {
  if (outpostPackageJsonUrl && (specifier === 'outpost' || specifier.startsWith('outpost/'))) {
    return nextResolve(specifier, { ...context, parentURL: outpostPackageJsonUrl });
  }
  return nextResolve(specifier, context);
}
