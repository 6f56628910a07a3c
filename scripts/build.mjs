// Bundles every CLI entry point (src/cli/*.ts) into dist/ with esbuild.
// Hot clients (svc, svstat, svok, ...) import no dependency and become one CommonJS file each, so that
// they start in about the time of `node -e 0`; svscan, whose memory is its budget, becomes one
// CommonJS file with pino inside (Node's ESM loader alone costs it ~2 MB RSS); the other long-running
// programs become ESM files that import their dependencies (yargs, pino) from node_modules at run time.
import { build } from 'esbuild';
import { readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cliDir = join(root, 'src', 'cli');
const dist = join(root, 'dist');

/** Entry points whose start-up time matters; they must not import yargs or pino. */
const HOT_CLIENTS = new Set(['svc', 'svstat', 'svok', 'svwait', 'svcheck', 'tai64n', 'tai64nlocal']);

/** Entry points bundled with their dependencies into one CommonJS file, for memory. */
const LEAN = new Set(['svscan']);

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

const entries = readdirSync(cliDir).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3));

const common = { bundle: true, platform: 'node', target: 'node20', sourcemap: false, logLevel: 'warning' };
await Promise.all(entries.map((name) => {
  const cjs = HOT_CLIENTS.has(name) || LEAN.has(name);
  return build({
    ...common,
    entryPoints: [join(cliDir, `${name}.ts`)],
    outfile: join(dist, cjs ? `${name}.cjs` : `${name}.mjs`),
    format: cjs ? 'cjs' : 'esm',
    packages: cjs ? undefined : 'external',
    plugins: LEAN.has(name) ? [pinoWithoutTransports] : [],
  });
}));
