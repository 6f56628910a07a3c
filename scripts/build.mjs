// Bundles every CLI entry point (src/cli/*.ts) into dist/ with esbuild.
// Hot clients (svc, svstat, svok, ...) import no dependency and become one CommonJS file each, so that
// they start in about the time of `node -e 0`; the long-running programs (svscan, and the companions
// that run many copies at once: relaxlogs, sabo/throttle, supervise) become one CommonJS file each with
// their dependencies inside (Node's ESM loader alone costs ~2 MB RSS a process); the rest become ESM
// files that import their dependencies from node_modules at run time.
import { build } from 'esbuild';
import { readdirSync } from 'node:fs';
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
 * A CommonJS bundle has no import.meta: sabo starts its copy worker from its own file
 * (`new Worker(new URL(import.meta.url))`), so give it the bundle's own URL.
 */
const importMetaUrl = {
  define: { 'import.meta.url': 'importMetaUrl' },
  banner: { js: 'const importMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
};

const entries = readdirSync(cliDir).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3));

// koffi (svscan's PID 1 reaper) has a native part: it is loaded from node_modules at run time.
const common = { bundle: true, platform: 'node', target: 'node20', sourcemap: false, logLevel: 'warning', external: ['koffi'] };
/**
 * svscan's logger thread (src/logd/thread.ts), which svscan loads with `new Worker(path)`: its own lean
 * CommonJS file beside svscan's, with no pino in it.
 */
const threads = [{ entry: join(root, 'src', 'logd', 'thread.ts'), outfile: join(dist, 'svscan-logger.cjs') }];

await Promise.all(threads.map(({ entry, outfile }) => build({ ...common, entryPoints: [entry], outfile, format: 'cjs' })));
await Promise.all(entries.map((name) => {
  const cjs = HOT_CLIENTS.has(name) || LEAN.has(name);
  return build({
    ...common,
    entryPoints: [join(cliDir, `${name}.ts`)],
    outfile: join(dist, cjs ? `${name}.cjs` : `${name}.mjs`),
    format: cjs ? 'cjs' : 'esm',
    packages: cjs ? undefined : 'external',
    plugins: name === 'svscan' ? [pinoWithoutTransports] : [],
    ...(cjs && name === 'sabo' ? importMetaUrl : {}),
  });
}));
