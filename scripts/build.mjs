// Bundles every CLI entry point (src/cli/*.ts) into dist/ with esbuild.
// Hot clients (svc, svstat, svok, ...) import no dependency and become one CommonJS file each, so that
// they start in about the time of `node -e 0`; the long-running programs (svscan, and the companions
// that run many copies at once: relaxlogs, sabo/throttle, supervise) become one CommonJS file each with
// their dependencies inside (Node's ESM loader alone costs ~2 MB RSS a process); the rest become ESM
// files that import their dependencies from node_modules at run time.
import { build } from 'esbuild';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cliDir = join(root, 'src', 'cli');
const dist = join(root, 'dist');

/** Entry points whose start-up time matters; they must not import pino. */
const HOT_CLIENTS = new Set(['svc', 'svstat', 'svok', 'svwait', 'svcheck', 'tai64n', 'tai64nlocal']);

/** Entry points bundled with their dependencies into one CommonJS file, for memory. */
const LEAN = new Set(['svscan', 'relaxlogs', 'sabo', 'supervise', 'multilog']);

/**
 * svscan gives pino its own synchronous destination and never uses pino.transport() or
 * pino.destination(): leaving out the modules behind them (worker threads, thread-stream, sonic-boom)
 * saves ~0.5-1 MB RSS. Anything that did call them would throw this error, not misbehave.
 */
const pinoWithoutTransports = {
  name: 'pino-without-transports',
  setup(b) {
    b.onResolve({ filter: /^(thread-stream|sonic-boom|worker_threads)$/ }, (a) =>
      /[\\/]node_modules[\\/]pino[\\/]/.test(a.importer) ? { path: a.path, namespace: 'left-out' } : undefined);
    b.onLoad({ filter: /.*/, namespace: 'left-out' }, (a) => ({
      loader: 'js',
      contents: a.path === 'worker_threads'
        ? 'module.exports = { isMainThread: true };'
        : `module.exports = function leftOut() { throw new Error(${JSON.stringify(`${a.path} is not bundled (scripts/build.mjs)`)}); };`,
    }));
  },
};

/**
 * Built-in modules that a lean program loads when it first uses one of their exports, not when its bundle
 * starts: `require('node:net')` with node:stream behind it costs ~2 ms, node:child_process ~0.5 ms
 * more, node:v8 (which loads node:stream too) ~3 ms; `relaxlogs --version`, a quiet relaxlogs reading
 * a file or /dev/null, or supervise before its first spawn use none of them (doc/design.md, "Lean
 * companions"). A static `import` of one of these from the
 * sources resolves to a stand-in with a getter for each export of the real module (listed here, at
 * build time) that requires it on first access; esbuild reads named imports at each use
 * (`(0, import_x.spawn)(...)`), so `new net.Socket`, `instanceof` and `extends` see the real export.
 * Dynamic `import()`s are left alone (already lazy). Built-ins without side effects only. The list of
 * exports is the building Node's: an export newer than it would read as undefined.
 */
const LAZY_BUILTINS = ['node:child_process', 'node:net', 'node:tty', 'node:perf_hooks', 'node:os', 'node:v8', 'node:crypto'];
/** The bundles built with them. */
const LAZY_LOADING = new Set(['relaxlogs', 'supervise', 'multilog', 'sabo']);
const requireHere = createRequire(import.meta.url);
const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(b) {
    const filter = new RegExp(`^(${LAZY_BUILTINS.join('|')})$`);
    b.onResolve({ filter }, (a) => (a.kind === 'import-statement' ? { path: a.path, namespace: 'lazy-builtin' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (a) => ({
      loader: 'js',
      contents: `let real;
const exports_ = {};
for (const key of ${JSON.stringify(Object.keys(requireHere(a.path)))}) {
  Object.defineProperty(exports_, key, { enumerable: true, get: () => (real ??= require(${JSON.stringify(a.path)}))[key] });
}
module.exports = exports_;
`,
    }));
  },
};

/**
 * node:fs and node:path, which Node has loaded before any bundle starts, as ESM facades: esbuild gives a
 * default import of a built-in (`import fs from 'node:fs'`) a copy with a getter for each export, in
 * every module that imports it (__toESM: ~1 ms a start for relaxlogs' six copies of fs and path). A
 * facade reads once the exports that src/ imports by name (found here by a scan of the sources: a
 * name missing from the scan fails the build with "No matching export"), and nothing else: reading
 * every export would trip Node 24's deprecation warnings (fs.F_OK) and load fs.promises.
 */
const namedImports = (() => {
  const names = { 'node:fs': new Set(), 'node:path': new Set() };
  const walk = (dir) => readdirSync(dir, { withFileTypes: true }).forEach((e) => {
    const file = join(dir, e.name);
    if (e.isDirectory()) walk(file);
    else if (e.name.endsWith('.ts')) {
      for (const m of readFileSync(file, 'utf8').matchAll(/import\s+(?:[\w$]+\s*,\s*)?\{([^}]*)\}\s*from\s*'(node:fs|node:path)'/g)) {
        for (const item of m[1].split(',')) {
          const name = item.trim().replace(/^type\s+/, '').split(/\s+as\s+/)[0];
          if (name && !item.trim().startsWith('type ')) names[m[2]].add(name);
        }
      }
    }
  });
  walk(join(root, 'src'));
  return names;
})();
const builtinFacades = {
  name: 'builtin-facades',
  setup(b) {
    b.onResolve({ filter: /^node:(fs|path)$/ }, (a) => (a.kind === 'import-statement' ? { path: a.path, namespace: 'builtin-facade' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'builtin-facade' }, (a) => {
      const names = [...namedImports[a.path]];
      const named = names.length ? `export const { ${names.join(', ')} } = real;\n` : '';
      return { loader: 'js', contents: `const real = require(${JSON.stringify(a.path)});\nexport default real;\n${named}` };
    });
  },
};

// `node scripts/build.mjs [NAME...]`: every entry point, or only those named (svscan includes its logger thread).
const only = process.argv.slice(2);
const entries = readdirSync(cliDir).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3))
  .filter((name) => only.length === 0 || only.includes(name));

// koffi (svscan's PID 1 reaper) has a native part: it is loaded from node_modules at run time.
const common = { bundle: true, platform: 'node', target: 'node20', sourcemap: false, logLevel: 'warning', external: ['koffi'] };
/**
 * svscan's logger thread (src/logd/thread.ts), which svscan loads with `new Worker(path)`: its own lean
 * CommonJS file beside svscan's, with no pino in it.
 */
const threads = [{ entry: join(root, 'src', 'logd', 'thread.ts'), outfile: join(dist, 'svscan-logger.cjs') }];

if (only.length === 0 || only.includes('svscan')) {
  await Promise.all(threads.map(({ entry, outfile }) => build({ ...common, entryPoints: [entry], outfile, format: 'cjs' })));
}
await Promise.all(entries.map((name) => {
  const cjs = HOT_CLIENTS.has(name) || LEAN.has(name);
  return build({
    ...common,
    entryPoints: [join(cliDir, `${name}.ts`)],
    outfile: join(dist, cjs ? `${name}.cjs` : `${name}.mjs`),
    format: cjs ? 'cjs' : 'esm',
    packages: cjs ? undefined : 'external',
    plugins: name === 'svscan' ? [pinoWithoutTransports] : LAZY_LOADING.has(name) ? [lazyBuiltins, builtinFacades] : [],
  });
}));
