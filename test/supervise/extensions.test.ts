// Beyond daemontools: finish, down-signal, timeout-kill and leftovers, backoff, readiness, svc + -U -D.
import { existsSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { createServer } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { processGroupMembers } from '../../src/supervise/proc-stat.ts';
import { bin, ext, isAlive, processState, Sandbox, sh, statusPid, upPid, waitFor } from '../helpers/sandbox.ts';

const lines = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n').filter(Boolean) : []);

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

describe('supervise extensions', () => {
  let sb: Sandbox;
  beforeEach(() => { sb = new Sandbox(); });
  afterEach(() => sb.cleanup());

  async function supervise(dir: string) {
    const child = sb.spawn(bin('supervise'), [dir]);
    await waitFor('supervise running', () => sh(bin('svok'), [dir]).code === 0);
    return child;
  }
  const file = (dir: string, name: string, text: string, mode = 0o644) => {
    writeFileSync(`${dir}/${name}`, text);
    chmodSync(`${dir}/${name}`, mode);
  };

  it('kills a TERM-ignoring service\'s whole group timeout-kill after svc -d', async () => {
    const dir = sb.service('s', "#!/bin/sh\ntrap '' TERM\necho $$ > pid\nwhile :; do sleep 0.05; done\n");
    file(dir, 'timeout-kill', '400\n');
    await supervise(dir);
    const pid = await waitFor('up', () => statusPid(dir) || undefined);
    await waitFor('trap set', () => existsSync(`${dir}/pid`));
    // Past the one-second start hold, during which supervise takes no command.
    await waitFor('start hold over', () => Date.now() > ext(dir)!.since + 1100);
    const t0 = Date.now();
    sh(bin('svc'), ['-d', dir]);
    const sent = Date.now(); // svc has written the command byte when it exits
    await waitFor('down', () => statusPid(dir) === 0, 15_000, 2);
    const took = Date.now() - t0;
    await waitFor('status.json written after status', () => ext(dir)?.pid === 0);
    expect(took).toBeGreaterThanOrEqual(380); // TERM was ignored: only the KILL at 400 ms ended it
    expect(ext(dir)?.lastExit?.signal).toBe('KILL');
    await waitFor('group empty', () => processGroupMembers(pid).length === 0);
    console.log(`TERM-ignoring service with timeout-kill 400: down ${took} ms after invoking svc -d, ${Date.now() - sent} ms after svc returned`);
  });

  it('leaves nothing of the group after svc -d, not even a grandchild holding a port', async () => {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const dir = sb.service('s', `#!/bin/sh
sh -c 'trap "" TERM; exec node -e "require(\\"net\\").createServer().listen(${port}, \\"127.0.0.1\\", () => console.log(\\"listening\\"))"' > listening &
echo $! > grandchild
exec sleep 1000
`);
    // Long enough for ./run's exit to be handled before the KILL of the whole group would take the
    // grandchild too: then it is found by the sweep, as a leftover (a loaded CI machine missed 300 ms).
    file(dir, 'timeout-kill', '2000\n');
    await supervise(dir);
    const pid = await waitFor('up', () => statusPid(dir) || undefined);
    await waitFor('grandchild listening', () => lines(`${dir}/listening`).includes('listening'));
    expect(await portFree(port)).toBe(false);
    sh(bin('svc'), ['-d', dir]);
    await waitFor('group empty', () => processGroupMembers(pid).length === 0);
    // The kernel lets go of a killed process's socket as it exits; poll rather than race it.
    await waitFor('port free', () => portFree(port), 5000);
    expect(ext(dir)?.leftovers).toBe(1);
  });

  it('a ./run that died while supervise was busy past timeout-kill: its leftovers still get down-signal first', async () => {
    // ./run stops its supervise as it exits on TERM: when supervise continues, its timeout-kill timer
    // is due before it has seen the exit. The exit must win: sweep (TERM, CONT, then KILL), not KILL.
    const dir = sb.service('s', `#!/bin/sh
trap 'kill -STOP $PPID; exit 0' TERM
sh -c 'trap "" TERM; echo $$ > grandchild; exec sleep 1000' &
while :; do sleep 0.05; done
`);
    file(dir, 'timeout-kill', '300\n');
    const supervisor = await supervise(dir);
    const pid = await waitFor('up', () => statusPid(dir) || undefined);
    await waitFor('grandchild started', () => lines(`${dir}/grandchild`).length === 1);
    await waitFor('start hold over', () => Date.now() > ext(dir)!.since + 1100);
    sh(bin('svc'), ['-d', dir]);
    await waitFor('./run exited, supervise stopped', () => processState(pid) === 'Z' && processState(supervisor.pid!) === 'T');
    const stoppedAt = Date.now();
    await waitFor('timeout-kill due', () => Date.now() > stoppedAt + 500);
    process.kill(supervisor.pid!, 'SIGCONT');
    await waitFor('down in status.json', () => ext(dir)?.pid === 0 && ext(dir)?.lastExit !== null);
    expect(ext(dir)?.lastExit?.code).toBe(0);
    expect(ext(dir)?.leftovers).toBe(1);
    await waitFor('group empty', () => processGroupMembers(pid).length === 0);
    expect(supervisor.output()).not.toContain('still up');
  });

  it('sends down-signal instead of TERM', async () => {
    const dir = sb.service('s', "#!/bin/sh\ntrap 'echo QUIT >> got; exit 0' QUIT\ntrap 'echo TERM >> got' TERM\necho $$ > pid\nwhile :; do sleep 0.05; done\n");
    file(dir, 'down-signal', 'QUIT\n');
    await supervise(dir);
    await waitFor('trap set', () => existsSync(`${dir}/pid`) && statusPid(dir));
    sh(bin('svc'), ['-d', dir]);
    await waitFor('down', () => statusPid(dir) === 0);
    expect(lines(`${dir}/got`)).toEqual(['QUIT']);
  });

  it('runs finish with s6\'s arguments before restarting, and stops restarting when it exits 125', async () => {
    const dir = sb.service('s', '#!/bin/sh\ndate +%s%N >> starts\nexit 7\n');
    file(dir, 'finish', '#!/bin/sh\necho "$@" >> finished\nsleep 0.3\ndate +%s%N >> finished-at\n[ -e stop ] && exit 125\nexit 0\n', 0o755);
    await supervise(dir);
    await waitFor('two starts', () => lines(`${dir}/starts`).length >= 2);
    const [first] = lines(`${dir}/finished`);
    expect(first).toMatch(new RegExp(`^7 0 ${dir} \\d+$`));
    // The restart came only after finish had ended.
    expect(Number(lines(`${dir}/starts`)[1])).toBeGreaterThan(Number(lines(`${dir}/finished-at`)[0]));
    writeFileSync(`${dir}/stop`, '');
    await waitFor('wanted down after finish exits 125', () => ext(dir)?.pid === 0 && !ext(dir)?.finishPid && sh(bin('svstat'), [dir]).stdout.includes('down') && !sh(bin('svstat'), [dir]).stdout.includes('want up') && readFileSync(`${dir}/supervise/status`)[17] === 0x64);
    const n = lines(`${dir}/starts`).length;
    await new Promise((r) => setTimeout(r, 1500));
    expect(lines(`${dir}/starts`).length).toBe(n);
  });

  it('kills a finish script that overruns timeout-finish, then restarts', async () => {
    const dir = sb.service('s', '#!/bin/sh\ndate +%s%N >> starts\nexit 0\n');
    file(dir, 'finish', '#!/bin/sh\necho $$ >> finish-pids\nexec sleep 1000\n', 0o755);
    file(dir, 'timeout-finish', '300\n');
    const sup = await supervise(dir);
    await waitFor('two starts', () => lines(`${dir}/starts`).length >= 2);
    const finishPid = Number(lines(`${dir}/finish-pids`)[0]);
    await waitFor('first finish killed', () => !isAlive(finishPid));
    await waitFor('timeout message', () => sup.output().includes('timeout-finish'));
  });

  it('backs off a crash loop on the documented schedule, and svc -u cuts the wait short', async () => {
    const dir = sb.service('s', '#!/bin/sh\ndate +%s%N >> starts\nexit 1\n');
    file(dir, 'backoff-threshold', '1');
    file(dir, 'backoff-base', '400');
    await supervise(dir);
    const starts = await waitFor('four starts', () => { const l = lines(`${dir}/starts`).map(Number); return l.length >= 4 ? l : undefined; }, 30_000);
    // Start to start: the 1 s start hold, plus the delay after the 2nd, 3rd... quick death in a row:
    // 0, then 400, 800 ms, each less at most 20 % jitter.
    const gaps = starts.slice(1, 4).map((t, i) => (t - starts[i]!) / 1e6);
    expect(gaps[0]).toBeGreaterThanOrEqual(990);
    expect(gaps[1]).toBeGreaterThanOrEqual(990 + 400 * 0.8);
    expect(gaps[2]).toBeGreaterThanOrEqual(990 + 800 * 0.8);
    console.log(`crash-loop start gaps (ms): ${gaps.map((g) => g.toFixed(0)).join(', ')} (schedule: 1000, 1000+400, 1000+800, less <= 20 % jitter)`);
    // Now in a backoff of 1600 ms or more (less jitter): visible in status.json, and svc -u starts it
    // at once. Take a backoff with time left (a loaded machine may read one about to end).
    const until = await waitFor('a backoff with 800 ms left', () => {
      const u = ext(dir)?.backoffUntil;
      return u && u > Date.now() + 800 ? u : undefined;
    }, 30_000);
    const before = lines(`${dir}/starts`).length;
    sh(bin('svc'), ['-u', dir]);
    await waitFor('started', () => lines(`${dir}/starts`).length > before);
    // The run script's own clock: it started before the backoff would have let it.
    expect(Number(lines(`${dir}/starts`)[before]) / 1e6).toBeLessThan(until);
  });

  describe('an operator\'s restarts are no crash loop', () => {
    // threshold 1, base 5000: a second quick death in a row would hold the service down 4-5 s.
    const backoffFiles = (dir: string) => { file(dir, 'backoff-threshold', '1'); file(dir, 'backoff-base', '5000'); };
    const holdOver = (dir: string) => waitFor('start hold over', () => Date.now() > ext(dir)!.since + 1100);
    /** Sends `svc OPTION`, then waits for a new pid; the time it took. */
    async function restartBy(dir: string, option: string): Promise<number> {
      const before = statusPid(dir);
      const t0 = Date.now();
      expect(sh(bin('svc'), [option, dir]).code).toBe(0);
      await waitFor('a new pid', () => { const pid = statusPid(dir); return pid && pid !== before ? pid : undefined; }, 10_000);
      return Date.now() - t0;
    }

    it('restarts at once however often svc -t, -k, -i, -h are sent', async () => {
      const dir = sb.service('s', "#!/bin/sh\ntrap 'exit 0' HUP INT\nwhile :; do sleep 0.05; done\n");
      backoffFiles(dir);
      await supervise(dir);
      await upPid(dir);
      const took: number[] = [];
      for (const option of ['-t', '-k', '-i', '-t', '-h', '-k', '-t', '-t']) {
        await holdOver(dir);
        took.push(await restartBy(dir, option));
        expect(ext(dir)!.backoffUntil).toBeNull();
      }
      // The start hold is over before each command: the new child comes as fast as the exit is seen.
      expect(Math.max(...took)).toBeLessThan(3000);
    });

    it('an exit after an operator\'s kill neither counts nor resets the quick deaths', async () => {
      // Crashes once each time `crash` exists, removing it; otherwise runs.
      const dir = sb.service('s', '#!/bin/sh\ndate +%s%N >> starts\nif [ -e crash ]; then rm crash; exit 1; fi\nexec sleep 1000\n');
      backoffFiles(dir);
      file(dir, 'crash', '');
      await supervise(dir);
      // 1st start crashes (one quick death), the 2nd runs.
      await waitFor('second start up', () => lines(`${dir}/starts`).length === 2 && statusPid(dir) || undefined);
      await holdOver(dir);
      file(dir, 'crash', '');
      // Not a crash: the 3rd start comes at once (no backoff from two quick deaths)...
      expect(await restartBy(dir, '-k')).toBeLessThan(3000);
      // ...and crashes: with the first crash still counted, that is two in a row: backoff.
      const until = await waitFor('backoff after the second crash', () => ext(dir)?.backoffUntil ?? undefined, 10_000);
      expect(until - Date.now()).toBeGreaterThan(1000);
      expect(lines(`${dir}/starts`).length).toBe(3);
    });

    it('a service that exits by itself after svc -h is not counted either (the first exit after a signal)', async () => {
      // A reload that fails: the service dies 200 ms after HUP. supervise cannot tell it from an
      // asked-for exit, so it forgives that one exit (doc/supervise.md, Restart backoff).
      const dir = sb.service('s', "#!/bin/sh\ntrap 'sleep 0.2; exit 1' HUP\nwhile :; do sleep 0.05; done\n");
      backoffFiles(dir);
      await supervise(dir);
      await upPid(dir);
      for (let i = 0; i < 3; i++) {
        await holdOver(dir);
        expect(await restartBy(dir, '-h')).toBeLessThan(3000);
        expect(ext(dir)!.backoffUntil).toBeNull();
      }
    });
  });

  it('records readiness from notification-fd; svc -U waits for it', async () => {
    const dir = sb.service('s', '#!/bin/sh\nsleep 0.7\necho >&3\nexec sleep 1000\n', { down: true });
    file(dir, 'notification-fd', '3\n');
    await supervise(dir);
    const t0 = Date.now();
    const r = sh(bin('svc'), ['-U', '-T', '20000', dir]);
    expect(r.code).toBe(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(600);
    const status = ext(dir)!;
    expect(status.readySince).not.toBeNull();
    expect(status.readySince! - status.since).toBeGreaterThanOrEqual(600);
    // Plain svstat is unchanged.
    expect(sh(bin('svstat'), [dir]).stdout).toMatch(/: up \(pid \d+\) \d+ seconds, normally down\n$/);
  });

  it('a service without notification-fd is ready when up; svc -D waits until down and finished', async () => {
    const dir = sb.service('s', '#!/bin/sh\nexec sleep 1000\n');
    file(dir, 'finish', '#!/bin/sh\nsleep 0.5\necho done > finished\n', 0o755);
    await supervise(dir);
    await waitFor('up', () => statusPid(dir));
    expect(ext(dir)?.readySince).toBe(ext(dir)?.since);
    expect(sh(bin('svc'), ['-D', '-T', '20000', dir]).code).toBe(0);
    expect(lines(`${dir}/finished`)).toEqual(['done']);
  });

  it('svc -+ signals the whole process group', async () => {
    const dir = sb.service('s', "#!/bin/sh\nsh -c 'trap \"echo child >> got\" HUP; touch child-ready; while :; do sleep 0.05; done' &\ntrap 'echo parent >> got' HUP\necho $$ > pid\nwhile :; do sleep 0.05; done\n");
    await supervise(dir);
    await waitFor('up', () => existsSync(`${dir}/pid`) && existsSync(`${dir}/child-ready`) && statusPid(dir));
    sh(bin('svc'), ['-h', dir]);
    await waitFor('parent got HUP', () => lines(`${dir}/got`).includes('parent'));
    expect(lines(`${dir}/got`)).toEqual(['parent']);
    sh(bin('svc'), ['-+h', dir]);
    await waitFor('both got HUP', () => lines(`${dir}/got`).filter((l) => l === 'parent').length === 2 && lines(`${dir}/got`).includes('child'));
  });
});
