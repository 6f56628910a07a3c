// Essential services: the death of a service holding a file `essential` stops every service and
// ends svscan with its exit code (128 + signal when killed); an operator's svc -d or svc -t does not.
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bin, Sandbox, sh, statusPid, upPid, waitFor } from '../helpers/sandbox.ts';
import { exitOf, SLEEPER, startSvscan } from '../svscan/helpers.ts';
import { CAN_UNSHARE, startPid1 } from './helpers.ts';

let sb: Sandbox;
afterEach(() => sb?.cleanup());

describe('essential services', () => {
  it('its exit code becomes svscan\'s, after every other service is stopped', async () => {
    sb = new Sandbox();
    const app = sb.service('scan/app', '#!/bin/sh\nsleep 0.5\nexit 42\n');
    writeFileSync(join(app, 'essential'), '');
    // Its finish script runs to its end before svscan exits.
    writeFileSync(join(app, 'finish'), `#!/bin/sh\nsleep 0.3\necho "$1" > ${sb.path('finished')}\n`, { mode: 0o755 });
    const other = sb.service('scan/other', SLEEPER);
    const svscan = startSvscan(sb, sb.path('scan'), ['--kill-timeout', '2']);
    const otherPid = await upPid(other);
    expect(await exitOf(svscan)).toEqual({ code: 42, signal: null });
    // The exit can be seen before the last of svscan's output is read.
    await waitFor('the other service\'s exit in svscan\'s log', () => svscan.has((r) => r.service === 'other' && r.msg === 'exited' && r.signal === 'SIGTERM' && r.pid === otherPid), 5_000);
    expect(readFileSync(sb.path('finished'), 'utf8')).toBe('42\n');
    // Not started again between its death and the stop.
    expect(svscan.records().filter((r) => r.service === 'app' && (r.msg === 'started' || r.msg === 'restarted')).length).toBe(1);
  }, 30_000);

  it('killed by a signal: 128 + its number', async () => {
    sb = new Sandbox();
    const app = sb.service('scan/app', SLEEPER);
    writeFileSync(join(app, 'essential'), '');
    const svscan = startSvscan(sb, sb.path('scan'));
    process.kill(await upPid(app), 'SIGKILL');
    expect(await exitOf(svscan)).toEqual({ code: 137, signal: null });
    expect(svscan.records().filter((r) => r.service === 'app' && (r.msg === 'started' || r.msg === 'restarted')).length).toBe(1);
  }, 30_000);

  it('svc -d is no death: svscan goes on; without the file a death is a restart', async () => {
    sb = new Sandbox();
    const app = sb.service('scan/app', SLEEPER);
    writeFileSync(join(app, 'essential'), '');
    const plain = sb.service('scan/plain', SLEEPER);
    const svscan = startSvscan(sb, sb.path('scan'));
    await upPid(app);
    process.kill(await upPid(plain), 'SIGKILL');
    expect(sh(bin('svc'), ['-d', app]).code).toBe(0);
    await waitFor('app down', () => svscan.has((r) => r.service === 'app' && r.msg === 'exited'));
    await waitFor('plain restarted', () => svscan.has((r) => r.service === 'plain' && r.msg === 'restarted'));
    await new Promise((r) => setTimeout(r, 500));
    expect(svscan.exitCode).toBe(null);
    process.kill(svscan.pid!, 'SIGTERM');
    expect(await exitOf(svscan)).toEqual({ code: 0, signal: null });
  }, 30_000);

  it('an operator\'s svc -t restarts it; a death after that still ends svscan', async () => {
    sb = new Sandbox();
    const app = sb.service('scan/app', `#!/bin/sh\n[ -e ${sb.path('die')} ] && exit 9\nexec sleep 1000\n`);
    writeFileSync(join(app, 'essential'), '');
    const svscan = startSvscan(sb, sb.path('scan'));
    const first = await upPid(app);
    // Past the start hold, during which supervise takes no command.
    await new Promise((r) => setTimeout(r, 1200));
    expect(sh(bin('svc'), ['-t', app]).code).toBe(0);
    await waitFor('app restarted', () => { const pid = statusPid(app); return pid && pid !== first ? pid : undefined; });
    expect(svscan.exitCode).toBe(null);
    writeFileSync(sb.path('die'), '');
    await new Promise((r) => setTimeout(r, 1200));
    expect(sh(bin('svc'), ['-t', app]).code).toBe(0);
    // Asked for too, so restarted: and the new ./run dies by itself at once, which counts.
    expect(await exitOf(svscan)).toEqual({ code: 9, signal: null });
  }, 30_000);

  it.skipIf(!CAN_UNSHARE)('as PID 1 too: the namespace ends with its code', async () => {
    sb = new Sandbox();
    const app = sb.service('scan/app', '#!/bin/sh\nsleep 0.5\nexit 5\n');
    writeFileSync(join(app, 'essential'), '');
    sb.service('scan/other', SLEEPER);
    const ns = await startPid1(sb, sb.path('scan'));
    expect(await exitOf(ns.svscan)).toEqual({ code: 5, signal: null });
    expect(ns.processes()).toEqual([]);
  }, 30_000);
});
