// NODE_EXTRA_CA_CERTS: the clients start without it (bin/* wrappers, `env -S -u`: it costs every Node
// start ~60-100 ms and opens no TLS here), while the services svscan and supervise start still get it
// unchanged, as every other variable of their environment.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bin, Sandbox, upPid, waitFor } from '../helpers/sandbox.ts';

const RECORD_ENV = '#!/bin/sh\necho "${NODE_EXTRA_CA_CERTS-unset}" > seen\nexec sleep 1000\n';

describe('NODE_EXTRA_CA_CERTS', () => {
  let sb: Sandbox;
  beforeEach(() => { sb = new Sandbox(); });
  afterEach(() => sb.cleanup());

  for (const supervisor of ['svscan', 'supervise'] as const) {
    it(`reaches a service under ${supervisor} unchanged`, async () => {
      const dir = sb.service('s', RECORD_ENV);
      const certs = sb.path('company ca.pem');
      const env = { ...process.env, NODE_EXTRA_CA_CERTS: certs };
      sb.spawn(bin(supervisor), supervisor === 'svscan' ? [sb.root] : [dir], { env });
      await upPid(dir);
      // The shell's `>` makes the file empty before echo writes it: wait for the whole line.
      const seen = await waitFor('the service\'s record', () => { try { const text = readFileSync(sb.path('s', 'seen'), 'utf8'); return text.endsWith('\n') ? text : undefined; } catch { return undefined; } });
      expect(seen).toBe(`${certs}\n`);
    });
  }

  it('is not read by the clients: svc, svstat and svok work silently with it pointing at a missing file', async () => {
    const dir = sb.service('s', RECORD_ENV);
    sb.spawn(bin('supervise'), [dir]);
    await upPid(dir);
    const env = { ...process.env, NODE_EXTRA_CA_CERTS: sb.path('missing.pem') };
    for (const [program, args] of [['svc', ['-d', dir]], ['svok', [dir]], ['svstat', [dir]]] as const) {
      const r = spawnSync(bin(program), args, { env, encoding: 'utf8' });
      expect({ program, code: r.status, stderr: r.stderr }).toEqual({ program, code: 0, stderr: '' });
    }
    // Where Node reads the file at start (Node 20; 22 and 24 read it only on the first TLS use), the
    // same client under plain node warns: the wrapper is what keeps it quiet.
    const readsAtStart = spawnSync(process.execPath, ['-e', '0'], { env, encoding: 'utf8' }).stderr.includes('extra certs');
    const direct = spawnSync(process.execPath, [bin('svok'), dir], { env, encoding: 'utf8' });
    expect(direct.stderr.includes('extra certs')).toBe(readsAtStart);
  });
});
