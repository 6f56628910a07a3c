// End to end: Debian's memcached, run by service-examples/memcached/run under svscan on a loopback
// port, answers `stats`; after kill -9 it is back (a new pid) and answering. CI installs memcached.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { ROOT, Sandbox, statusPid, waitFor } from '../helpers/sandbox.ts';
import { exitOf, newPid, startSvscan, upPid } from './helpers.ts';

const HAVE_MEMCACHED = spawnSync('sh', ['-c', 'command -v memcached'], { stdio: 'ignore' }).status === 0;
const HAVE_MULTILOG = spawnSync('sh', ['-c', 'command -v multilog'], { stdio: 'ignore' }).status === 0;
if (!HAVE_MEMCACHED) console.warn('memcached is not installed (apt-get install memcached; .ci/run does): the memcached end-to-end test is skipped');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** memcached's `stats` reply, or undefined when nothing answers (yet). */
function stats(port: number): Promise<Record<string, string> | undefined> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let text = '';
    const done = (value: Record<string, string> | undefined) => { socket.destroy(); resolve(value); };
    socket.setTimeout(2000, () => done(undefined));
    socket.on('error', () => done(undefined));
    socket.on('connect', () => socket.write('stats\r\n'));
    socket.on('data', (d) => {
      text += d.toString('latin1');
      if (!text.endsWith('END\r\n')) return;
      const out: Record<string, string> = {};
      for (const line of text.split('\r\n')) {
        const [tag, key, value] = line.split(' ');
        if (tag === 'STAT' && key) out[key] = value ?? '';
      }
      done(out);
    });
  });
}

let sb: Sandbox;
beforeEach(() => { sb = new Sandbox(); });
afterEach(() => sb.cleanup());

it.skipIf(!HAVE_MEMCACHED)('memcached under svscan answers stats, and again after kill -9', async () => {
  // The example's run scripts as they are in the repository, in a sandboxed scan directory.
  const example = join(ROOT, 'service-examples/memcached');
  const dir = sb.service('scan/memcached', readFileSync(join(example, 'run'), 'utf8'));
  sb.service('scan/memcached/log', HAVE_MULTILOG ? readFileSync(join(example, 'log/run'), 'utf8') : '#!/bin/sh\nexec cat >> current\n');
  const port = await freePort();
  const svscan = startSvscan(sb, sb.path('scan'), ['--kill-timeout', '3'], { env: { ...process.env, MEMCACHED_PORT: String(port) } });
  const pid = await upPid(dir);
  await upPid(join(dir, 'log'));
  const first = await waitFor('memcached to answer stats', async () => {
    const s = await stats(port);
    return s && Number(s.pid) === pid ? s : undefined;
  }, 20_000, 100);
  expect(first.version).toMatch(/^\d+\.\d+/);

  process.kill(pid, 'SIGKILL');
  const next = await newPid(dir, pid);
  const second = await waitFor('the new memcached to answer stats', async () => {
    const s = await stats(port);
    return s && Number(s.pid) === next ? s : undefined;
  }, 20_000, 100);
  expect(Number(second.uptime)).toBeLessThan(Number(first.uptime) + 30);
  await waitFor('restart logged', () => svscan.has((r) => r.service === 'memcached' && r.msg === 'exited' && r.signal === 'SIGKILL'));
  if (HAVE_MULTILOG) expect(existsSync(join(dir, 'log/main/current'))).toBe(true);

  process.kill(svscan.pid!, 'SIGTERM');
  expect(await exitOf(svscan)).toEqual({ code: 0, signal: null });
  expect(await stats(port)).toBeUndefined();
  expect(statusPid(dir)).toBe(0);
});
