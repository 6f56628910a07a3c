// Bundles every CLI entry point (src/cli/*.ts) into dist/ with esbuild.
// Hot clients (svc, svstat, svok, ...) import no dependency and become one CommonJS file each, so that
// they start in about the time of `node -e 0`; long-running programs become ESM files that import
// their dependencies (yargs, pino) from node_modules at run time.
import { build } from 'esbuild';
import { readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cliDir = join(root, 'src', 'cli');
const dist = join(root, 'dist');

/** Entry points whose start-up time matters; they must not import yargs or pino. */
const HOT_CLIENTS = new Set(['svc', 'svstat', 'svok', 'svwait', 'svcheck']);

const entries = readdirSync(cliDir).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3));

const common = { bundle: true, platform: 'node', target: 'node20', sourcemap: false, logLevel: 'warning' };
await Promise.all(entries.map((name) => {
  const hot = HOT_CLIENTS.has(name);
  return build({
    ...common,
    entryPoints: [join(cliDir, `${name}.ts`)],
    outfile: join(dist, hot ? `${name}.cjs` : `${name}.mjs`),
    format: hot ? 'cjs' : 'esm',
    packages: hot ? undefined : 'external',
  });
}));
