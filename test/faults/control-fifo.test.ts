// Fault: anything at all written to SERVICE/supervise/control (a buggy client, `cat /dev/urandom >`,
// a fuzzer). Each byte is a command or ignored, as in daemontools; svscan never crashes and the
// service stays controllable by svc and readable by svstat.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bin, isAlive, Sandbox, sh, statusPid, waitFor } from '../helpers/sandbox.ts';
import { decodeStatus } from '../../src/protocol/status.ts';
import { newPid, startSvscan, upPid, type Svscan } from '../svscan/helpers.ts';

/** Bytes with a meaning for supervise (worker.ts): svc's commands, the signals, and the group prefix. */
const COMMANDS = new Set('udopcxahitkq12+'.split('').map((c) => c.charCodeAt(0)));
const SIGNALS = 'ahitkq12';

let sb: Sandbox;
beforeEach(() => { sb = new Sandbox(); });
afterEach(() => sb.cleanup());

/** A deterministic generator (mulberry32), so that a failing sequence can be replayed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One write(2) of `bytes` to the control fifo (a blocking open: supervise holds the reader). */
function writeControl(dir: string, bytes: Buffer | string): void {
  writeFileSync(join(dir, 'supervise/control'), bytes);
}

const status = (dir: string) => decodeStatus(readFileSync(join(dir, 'supervise/status')))!;
const starts = (dir: string) => readFileSync(join(dir, 'starts'), 'utf8').trim().split('\n').length;

async function serviceUnderSvscan(extra: string[] = []): Promise<{ dir: string; svscan: Svscan; pid: number }> {
  const dir = sb.service('scan/target', '#!/bin/sh\necho $$ >> starts\nexec sleep 100000\n');
  const svscan = startSvscan(sb, sb.path('scan'), ['--rescan-interval', '0.5', ...extra]);
  return { dir, svscan, pid: await upPid(dir) };
}

function expectSane(dir: string, svscan: Svscan): void {
  expect(isAlive(svscan.pid!)).toBe(true);
  const line = sh(bin('svstat'), [dir]);
  expect(line.code).toBe(0);
  expect(line.stdout).toMatch(new RegExp(`^${dir}: (up \\(pid \\d+\\)|down) \\d+ seconds`));
  expect(JSON.parse(sh(bin('svstat'), ['--json', dir]).stdout)).toBeTruthy();
}

describe('fault: hostile bytes on supervise/control', () => {
  it('every byte value 0-255: the ignored ones change nothing, each command does what it means', async () => {
    const { dir, svscan, pid } = await serviceUnderSvscan();
    // Every byte without a meaning, each in its own write: nothing happens.
    for (let byte = 0; byte < 256; byte++) if (!COMMANDS.has(byte)) writeControl(dir, Buffer.from([byte]));
    // A command after them is still obeyed, in order: exactly one restart, so none of those did anything.
    writeControl(dir, 'h');
    const second = await newPid(dir, pid);
    await waitFor('the second start recorded', () => starts(dir) === 2);
    expectSane(dir, svscan);
    // Each signal byte ends `sleep`, and the service is restarted.
    let current = second;
    for (const byte of SIGNALS) {
      writeControl(dir, byte);
      current = await newPid(dir, current);
    }
    writeControl(dir, 'p');
    await waitFor('paused', () => status(dir).paused && readFileSync(`/proc/${current}/stat`, 'utf8').includes(') T '));
    writeControl(dir, 'c');
    await waitFor('continued', () => !status(dir).paused);
    writeControl(dir, 'o');
    await waitFor('want once', () => status(dir).want === 'once');
    writeControl(dir, 'u');
    await waitFor('want up', () => status(dir).want === 'up');
    writeControl(dir, '+');
    writeControl(dir, 'd');
    await waitFor('down', () => statusPid(dir) === 0);
    writeControl(dir, 'u');
    current = await newPid(dir, current);
    // x then d: supervision ends once the service is down, and svscan takes the directory again.
    writeControl(dir, 'x');
    writeControl(dir, 'd');
    await waitFor('down', () => statusPid(dir) === 0);
    // Taken again without a down file: svscan's new worker starts it (svc -u covers the moment between).
    await waitFor('up again', () => statusPid(dir) > 0 && statusPid(dir) !== current ? true : (sh(bin('svc'), ['-u', dir]), false), 20_000);
    expect(sh(bin('svok'), [dir]).code).toBe(0);
    expectSane(dir, svscan);
  });

  it('10,000 seeded random bytes in random-sized writes: svscan survives, svc -u/-d still work, svstat is sane', async () => {
    // No start hold: a random 'k' restarts at once, so the queued bytes drain in seconds.
    const { dir, svscan } = await serviceUnderSvscan(['--start-hold', '0']);
    const random = seeded(20261201);
    let left = 10_000;
    while (left > 0) {
      const size = Math.min(left, 1 + Math.floor(random() * 512));
      writeControl(dir, Buffer.from(Array.from({ length: size }, () => Math.floor(random() * 256))));
      left -= size;
    }
    // A random 'x' may have ended supervision: svc -u works again once svscan has taken the directory back.
    await waitFor('svc -u accepted', () => sh(bin('svc'), ['-u', dir]).code === 0, 20_000);
    const up = await upPid(dir, 20_000);
    await waitFor('want up', () => status(dir).want === 'up' && !status(dir).paused ? true : (sh(bin('svc'), ['-uc', dir]), false), 20_000);
    expect(sh(bin('svc'), ['-d', dir]).code).toBe(0);
    await waitFor('down after svc -d', () => statusPid(dir) === 0, 20_000);
    expect(isAlive(up)).toBe(false);
    expect(sh(bin('svc'), ['-u', dir]).code).toBe(0);
    await upPid(dir);
    expectSane(dir, svscan);
  });

  it('writes of 1 byte and of 64 KiB (a full pipe): all consumed in order, the last byte obeyed', async () => {
    const { dir, svscan, pid } = await serviceUnderSvscan();
    writeControl(dir, 'z');
    // 65,535 ignored bytes then 'd', in one write: 'd' is read only after all the rest.
    const big = Buffer.alloc(64 * 1024, 'z');
    big[big.length - 1] = 'd'.charCodeAt(0);
    writeControl(dir, big);
    await waitFor('down after the 64 KiB write', () => statusPid(dir) === 0);
    expect(isAlive(pid)).toBe(false);
    expectSane(dir, svscan);
    expect(sh(bin('svc'), ['-u', dir]).code).toBe(0);
    await upPid(dir);
  });
});
