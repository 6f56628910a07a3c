// Exit of processes that are not our children (adopted services), noticed through /proc.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { watchExit } from '../../src/supervise/exit-watch.ts';
import { liveStartTicks } from '../../src/supervise/proc-stat.ts';
import { processState, waitFor } from '../helpers/sandbox.ts';

const started: ChildProcess[] = [];
afterEach(() => {
  for (const child of started.splice(0)) {
    try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ }
  }
});

/** `sh -c SCRIPT` in its own process group; its stdout's first line is returned as a pid. */
async function startWithPid(script: string): Promise<number> {
  const child = spawn('sh', ['-c', script], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
  started.push(child);
  let out = '';
  child.stdout!.on('data', (b: Buffer) => { out += b.toString(); });
  return waitFor('pid printed', () => (out.includes('\n') ? Number(out.split('\n')[0]) : undefined));
}

describe('watchExit', () => {
  it('calls back once when the process dies, and not for a pid that names another process', async () => {
    const pid = await startWithPid('echo $$; exec sleep 1000');
    const ticks = await waitFor('start ticks', () => liveStartTicks(pid));
    expect(watchExit(pid, ticks + 1, () => {})).toBe(false);
    let calls = 0;
    expect(watchExit(pid, ticks, () => { calls++; })).toBeTypeOf('function');
    process.kill(pid, 'SIGKILL');
    await waitFor('exit noticed', () => calls === 1);
    expect(calls).toBe(1);
  });

  it('counts a zombie as gone (its new parent never reaps it)', async () => {
    // The background sleep's parent becomes `sleep 1000` by exec, which never waits for it.
    const pid = await startWithPid('sleep 0.3 & echo $!; exec sleep 1000');
    const ticks = await waitFor('start ticks', () => liveStartTicks(pid));
    let gone = false;
    watchExit(pid, ticks, () => { gone = true; });
    await waitFor('zombie', () => processState(pid) === 'Z');
    await waitFor('exit noticed', () => gone);
  });

  it('the returned function ends the watch: no call back after it', async () => {
    const pid = await startWithPid('echo $$; exec sleep 1000');
    const ticks = await waitFor('start ticks', () => liveStartTicks(pid));
    let calledAfterStop = false;
    const stop = watchExit(pid, ticks, () => { calledAfterStop = true; });
    // A second watch on the same process tells when a poll has seen the death.
    let seen = false;
    watchExit(pid, ticks, () => { seen = true; });
    if (stop) stop();
    process.kill(pid, 'SIGKILL');
    await waitFor('death seen by the other watch', () => seen);
    expect(calledAfterStop).toBe(false);
  });
});
