// The lean companions' start (doc/design.md, "Lean companions"). What the bundles load: nothing of
// node:net, tty, child_process, stream or v8 for --version and --help, nor for a relaxlogs reading
// /dev/null; node:net alone for one reading a pipe (process.moduleLoadList of the bundle's run against
// a bare Node's). And NODE_EXTRA_CA_CERTS: bin/relaxlogs, bin/supervise and bin/multilog start Node
// without it, yet what they start (--processor, the service, !processor) gets it unchanged.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bin, ROOT, Sandbox, upPid, waitFor } from '../helpers/sandbox.ts';

const HEAVY = ['net', 'tty', 'child_process', 'stream', 'v8', 'perf_hooks'];

/** The modules of HEAVY loaded by `dist/NAME.cjs ARGS` (stdin from `input`) and not by a bare Node. */
function heavyLoaded(sb: Sandbox, name: string, args: string[], input: string | null = null): { heavy: string[]; stdout: string } {
  const record = sb.path(`modules-${name}-${Math.random().toString(36).slice(2)}.json`);
  const loaded = (bundle: string | null): { modules: Set<string>; stdout: string } => {
    const script = `
      process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(record)}, JSON.stringify(process.moduleLoadList)));
      const bundle = ${JSON.stringify(bundle)};
      if (bundle) { process.argv = [process.argv[0], bundle, ...${JSON.stringify(args)}]; require(bundle); }`;
    const r = spawnSync(process.execPath, ['-e', script], { input: input ?? undefined, stdio: [input === null ? 'ignore' : 'pipe', 'pipe', 'pipe'], encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const modules = new Set((JSON.parse(readFileSync(record, 'utf8')) as string[]).filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice('NativeModule '.length)));
    return { modules, stdout: r.stdout };
  };
  const bare = loaded(null).modules;
  const run = loaded(join(ROOT, 'dist', `${name}.cjs`));
  return { heavy: HEAVY.filter((m) => run.modules.has(m) && !bare.has(m)), stdout: run.stdout };
}

describe('what the lean bundles load', () => {
  let sb: Sandbox;
  beforeEach(() => { sb = new Sandbox(); });
  afterEach(() => sb.cleanup());

  it('relaxlogs --version, -v and --help load none of node:net, tty, child_process, stream, v8', () => {
    for (const args of [['--version'], ['-v'], ['--help']]) {
      const { heavy, stdout } = heavyLoaded(sb, 'relaxlogs', args);
      expect({ args, heavy }).toEqual({ args, heavy: [] });
      expect(stdout).toMatch(args[0] === '--help' ? /^relaxlogs \[--log-dir DIR\]/ : /^\d+\.\d+\.\d+\n$/);
    }
  });

  it('relaxlogs reading /dev/null loads none of them; reading a pipe, node:net alone', () => {
    expect(heavyLoaded(sb, 'relaxlogs', ['--with-time']).heavy).toEqual([]);
    const piped = heavyLoaded(sb, 'relaxlogs', [], 'one\ntwo\n');
    expect(piped.stdout).toBe('one\ntwo\n');
    expect(piped.heavy.filter((m) => m !== 'stream')).toEqual(['net']);
  });

  it('supervise --version and --help load none of them', () => {
    for (const args of [['--version'], ['--help']]) {
      const { heavy, stdout } = heavyLoaded(sb, 'supervise', args);
      expect({ args, heavy }).toEqual({ args, heavy: [] });
      expect(stdout).toMatch(args[0] === '--help' ? /^supervise DIR\n/ : /^\d+\.\d+\.\d+\n$/);
    }
  });
});

describe('NODE_EXTRA_CA_CERTS handed over, not read', () => {
  let sb: Sandbox;
  beforeEach(() => { sb = new Sandbox(); });
  afterEach(() => sb.cleanup());
  // The shell command every child runs: what it got of both variables.
  const RECORD = 'echo "${NODE_EXTRA_CA_CERTS-unset}|${SVTOOLS_CA_CERTS-unset}"';
  /** The record once echo has written it: the shell's `>` makes the file empty first. */
  const whole = (file: string) => { try { const text = readFileSync(file, 'utf8'); return text.endsWith('\n') ? text : undefined; } catch { return undefined; } };
  // A missing file: Node 20 would warn ("Ignoring extra certs from ...") if it read it at start.
  const environments = (): [string, NodeJS.ProcessEnv, string][] => {
    const certs = sb.path('company ca.pem');
    const unset = { ...process.env };
    delete unset.NODE_EXTRA_CA_CERTS;
    return [['set', { ...process.env, NODE_EXTRA_CA_CERTS: certs }, `${certs}|unset\n`], ['unset', unset, 'unset|unset\n']];
  };

  it('relaxlogs: the --processor gets it, relaxlogs\' own Node does not read it', async () => {
    for (const [name, env, expected] of environments()) {
      const dir = sb.path(`log-${name}`);
      const logger = spawn(bin('relaxlogs'), ['--log-dir', dir, '--max-age', '0', '--processor', `${RECORD} > "$RELAXLOGS_FILE.env"`], { env, stdio: ['pipe', 'ignore', 'pipe'] });
      let stderr = '';
      logger.stderr!.setEncoding('utf8').on('data', (s: string) => { stderr += s; });
      const exited = new Promise((resolve) => logger.on('exit', resolve));
      try {
        logger.stdin!.write('one\n');
        const first = await waitFor('the first file', () => { try { return readdirSync(dir).find((f) => /^log\.\d+$/.test(f)); } catch { return undefined; } });
        logger.kill('SIGALRM');
        const record = await waitFor('the processor\'s record', () => whole(join(dir, `${first}.env`)));
        logger.stdin!.end();
        await exited;
        expect({ name, record, stderr }).toEqual({ name, record: expected, stderr: '' });
      } finally {
        if (logger.exitCode === null && logger.signalCode === null) logger.kill('SIGKILL');
      }
    }
  });

  it('supervise: the service gets it, supervise\'s own Node does not read it', async () => {
    for (const [name, env, expected] of environments()) {
      const dir = sb.service(`s-${name}`, `#!/bin/sh\n${RECORD} > seen\nexec sleep 1000\n`);
      const supervise = sb.spawn(bin('supervise'), [dir], { env });
      await upPid(dir);
      const seen = await waitFor('the service\'s record', () => whole(join(dir, 'seen')));
      expect({ name, seen, stderr: supervise.output() }).toEqual({ name, seen: expected, stderr: '' });
    }
  });

  it('multilog: the !processor gets it, multilog\'s own Node does not read it', () => {
    for (const [name, env, expected] of environments()) {
      const cwd = sb.path(`multilog-${name}`);
      spawnSync('mkdir', ['-p', cwd]);
      const r = spawnSync(bin('multilog'), ['s4096', `!${RECORD}`, './main'], { cwd, env, input: `${'x'.repeat(59)}\n`.repeat(100), encoding: 'utf8' });
      expect({ name, code: r.status, stderr: r.stderr }).toEqual({ name, code: 0, stderr: '' });
      const processed = readdirSync(join(cwd, 'main')).filter((f) => f.endsWith('.s'));
      expect(processed.length).toBeGreaterThan(0);
      for (const f of processed) expect(readFileSync(join(cwd, 'main', f), 'utf8')).toBe(expected);
    }
  });
});
