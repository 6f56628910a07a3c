// svc, svstat and svok run by a user who is not supervise's owner (doc/security.md): supervise/ is
// 0700 root and its fifos 0600, so they are refused with daemontools' own words, byte for byte the
// same as daemontools' /usr/bin tools, whichever supervise (ours or daemontools') runs the service;
// and the service is untouched.
import { chmodSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bin, DAEMONTOOLS_SKIP_REASON, HAVE_DAEMONTOOLS, Sandbox, sh, statusPid, upPid, waitFor } from '../helpers/sandbox.ts';

const IS_ROOT = process.geteuid?.() === 0;
const AS_NOBODY = ['--reuid=nobody', '--regid=nogroup', '--clear-groups'];

let sb: Sandbox;
beforeEach(() => {
  sb = new Sandbox();
  chmodSync(sb.root, 0o755); // nobody may reach the service directory, not its supervise/
});
afterEach(() => sb.cleanup());

const asNobody = (command: string, args: string[]) => sh('setpriv', [...AS_NOBODY, command, ...args]);

if (!HAVE_DAEMONTOOLS) console.warn(DAEMONTOOLS_SKIP_REASON);

describe.skipIf(!IS_ROOT || !HAVE_DAEMONTOOLS)('clients run as nobody', () => {
  for (const supervisor of ['ours', 'daemontools'] as const) {
    it(`get daemontools' refusals, byte for byte, from a service under ${supervisor} supervise; the service is untouched`, async () => {
      const dir = sb.service('s', '#!/bin/sh\nexec sleep 100000\n');
      sb.spawn(supervisor === 'ours' ? bin('supervise') : 'supervise', [dir]);
      const pid = await upPid(dir);
      await waitFor('supervise/ok open', () => sh(bin('svok'), [dir]).code === 0);
      const cases: [string, string[]][] = [['svc', ['-d', dir]], ['svc', ['-k', dir]], ['svstat', [dir]], ['svok', [dir]]];
      for (const [tool, args] of cases) {
        const theirs = asNobody(`/usr/bin/${tool}`, args);
        const ours = asNobody(bin(tool), args);
        expect(ours, `${tool} ${args.join(' ')}`).toEqual(theirs);
        expect(theirs.stdout + theirs.stderr).toContain('access denied');
      }
      expect(statusPid(dir)).toBe(pid);
      expect(sh(bin('svstat'), [dir]).stdout).toMatch(new RegExp(`^${dir}: up \\(pid ${pid}\\) \\d+ seconds\\n$`));
    });
  }
});
