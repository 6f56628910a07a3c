// Fault: an operator (or a deploy tool) changes a service directory under a running svscan: removes
// it, renames it away and back, replaces it by a symlink, edits ./run or makes it non-executable.
// (A directory disappearing is also in test/svscan/svscan.test.ts; a missing or non-executable run
// under `supervise` in test/supervise/supervise.test.ts.)
import { chmodSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bin, isAlive, Sandbox, sh, statusPid, waitFor } from '../helpers/sandbox.ts';
import { newPid, readText, SLEEPER, startSvscan, upPid } from '../svscan/helpers.ts';

let sb: Sandbox;
beforeEach(() => { sb = new Sandbox(); });
afterEach(() => sb.cleanup());

describe('fault: the service directory changes under svscan', () => {
  it('removed, renamed away, replaced by a symlink: brought down and released; renamed back: taken again', async () => {
    const scan = sb.path('scan');
    const removed = sb.service('scan/removed', SLEEPER);
    const moved = sb.service('scan/moved', SLEEPER);
    const replaced = sb.service('scan/replaced', SLEEPER);
    const other = sb.service('elsewhere/other', '#!/bin/sh\necho other > ran\nexec sleep 100000\n');
    const svscan = startSvscan(sb, scan, ['--rescan-interval', '0.5']);
    const [removedPid, movedPid, replacedPid] = [await upPid(removed), await upPid(moved), await upPid(replaced)];

    rmSync(removed, { recursive: true, force: true });
    const away = sb.path('away');
    renameSync(moved, away);
    renameSync(replaced, sb.path('replaced-old'));
    symlinkSync(other, replaced);
    for (const pid of [removedPid, movedPid, replacedPid]) await waitFor(`pid ${pid} down`, () => !isAlive(pid));
    // The directory moved away is released: no supervisor holds it any more.
    await waitFor('the moved directory released', () => sh(bin('svok'), [away]).code === 100);
    // The symlink is a service like any other: its target is supervised.
    await upPid(other);
    expect(readText(join(other, 'ran'))).toBe('other\n');

    renameSync(away, moved);
    const again = await waitFor('the renamed-back service up again', () => { const p = statusPid(moved); return p !== movedPid && isAlive(p) && p; });
    expect(again).toBeGreaterThan(0);
    expect(isAlive(svscan.pid!)).toBe(true);
  });

  it('run edited while running: the running one keeps running, the next start runs the new script', async () => {
    const dir = sb.service('scan/edited', '#!/bin/sh\necho v1 >> versions\nexec sleep 100000\n');
    startSvscan(sb, sb.path('scan'));
    const pid = await upPid(dir);
    // Replaced as an editor saves it: a new file renamed over the old one.
    writeFileSync(join(dir, 'run.new'), '#!/bin/sh\necho v2 >> versions\nexec sleep 100000\n', { mode: 0o755 });
    renameSync(join(dir, 'run.new'), join(dir, 'run'));
    await new Promise((r) => setTimeout(r, 1500));
    expect(statusPid(dir)).toBe(pid);
    expect(isAlive(pid)).toBe(true);
    expect(sh(bin('svc'), ['-t', dir]).code).toBe(0);
    await newPid(dir, pid);
    await waitFor('the new script ran', () => readText(join(dir, 'versions')) === 'v1\nv2\n');
  });

  it('run made non-executable: the running one keeps running; the next start fails with daemontools\' message, retried until chmod +x', async () => {
    const dir = sb.service('scan/noexec', '#!/bin/sh\nexec sleep 100000\n');
    const svscan = startSvscan(sb, sb.path('scan'));
    const pid = await upPid(dir);
    chmodSync(join(dir, 'run'), 0o644);
    await new Promise((r) => setTimeout(r, 500));
    expect(isAlive(pid)).toBe(true);
    expect(sh(bin('svc'), ['-t', dir]).code).toBe(0);
    await waitFor('the failed start reported', () => svscan.has((r) => r.service === 'noexec' && r.msg.startsWith(`unable to start ${dir}/run: access denied`)));
    // Retried about once a second: two more attempts go by, still down, still supervised.
    await new Promise((r) => setTimeout(r, 2500));
    expect(statusPid(dir)).toBe(0);
    expect(sh(bin('svok'), [dir]).code).toBe(0);
    chmodSync(join(dir, 'run'), 0o755);
    const next = await upPid(dir, 10_000);
    expect(next).not.toBe(pid);
    expect(isAlive(svscan.pid!)).toBe(true);
  });
});
