// tai64n: the structure of its output against daemontools', labels against the clock, prompt
// output in a pipe, and daemontools' exit codes.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { decodeTai64n, type Timestamp } from '../../src/protocol/tai64n.ts';
import { labeller } from '../../src/tai64n/label.ts';
import { bin, waitFor } from '../helpers/sandbox.ts';
import { DT, DT_SKIP_REASON, env, HAVE_DT, ours, run, theirs } from './run.ts';

const LABELLED = /^@[0-9a-f]{24} /;

/** Splits labelled output into [label, rest] pairs, one per line (the last may lack its newline). */
function parse(out: Buffer): { at: Timestamp; line: string }[] {
  const text = out.toString('latin1');
  const lines = text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  return lines.map((l) => {
    expect(l).toMatch(LABELLED);
    return { at: decodeTai64n(Buffer.from(l.slice(1, 25), 'hex')), line: l.slice(26) };
  });
}

const micros = (t: Timestamp) => t.seconds * 1e6 + Math.floor(t.nanoseconds / 1000);

const inputs: Record<string, string | Buffer> = {
  'empty input': '',
  'two lines': 'a\nb\n',
  'a last line without newline': 'a\nb',
  'empty lines': '\n\n\n',
  'CRLF and binary bytes': Buffer.from([13, 10, 0, 255, 10, 128]),
  'a 1 MiB line and 50k short ones': `${'x'.repeat(1 << 20)}\n${'line\n'.repeat(50_000)}`,
};

describe('tai64n', () => {
  for (const [name, input] of Object.entries(inputs)) {
    it(`labels ${name} as daemontools does, with the time of reading`, () => {
      const text = Buffer.from(input).toString('latin1');
      const before = Date.now() * 1000;
      const got = ours('tai64n', input);
      const after = Date.now() * 1000 + 1000;
      expect([got.status, got.signal]).toEqual([0, null]);
      const lines = parse(got.stdout);
      expect(lines.map((l) => l.line).join('')).toBe(text);
      for (const { at } of lines) {
        expect(micros(at)).toBeGreaterThanOrEqual(before);
        expect(micros(at)).toBeLessThanOrEqual(after);
        expect(at.nanoseconds % 1000).toBe(500); // gettimeofday's microseconds + 500, as taia_now()
      }
      if (HAVE_DT) {
        const want = theirs('tai64n', input);
        expect(want.status).toBe(0);
        expect(parse(want.stdout).map((l) => l.line)).toEqual(lines.map((l) => l.line));
      }
    });
  }

  it('writes a line as soon as it is read, before end of input', async () => {
    const child = spawn(bin('tai64n'), [], { env: env(undefined), stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('latin1')));
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    try {
      const before = Date.now() * 1000;
      child.stdin.write('first\n');
      await waitFor('the first labelled line', () => out.endsWith(' first\n'));
      const after = Date.now() * 1000 + 1000;
      const [first] = parse(Buffer.from(out, 'latin1'));
      expect(micros(first!.at)).toBeGreaterThanOrEqual(before);
      expect(micros(first!.at)).toBeLessThanOrEqual(after);
      // A partial line is labelled and passed on at once too; its end follows later.
      child.stdin.write('sec');
      await waitFor('the partial line', () => out.endsWith(' sec'));
      child.stdin.end('ond\n');
      expect(await exited).toBe(0);
      expect(parse(Buffer.from(out, 'latin1')).map((l) => l.line)).toEqual(['first\n', 'second\n']);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('labels every line of one read with that read\'s moment, a line cut by reads with its first', () => {
    let tick = 0;
    const t = labeller(() => ({ seconds: 1_000_000_000, nanoseconds: ++tick }));
    // Each output is reused by the next call: read it at once.
    const out = ['a\nb\nc', 'c\nd\n'].map((c) => t.chunk(Buffer.from(c)).toString()).join('') + t.end().toString();
    expect(out).toBe(
      '@400000003b9aca0a00000001 a\n@400000003b9aca0a00000001 b\n@400000003b9aca0a00000001 cc\n@400000003b9aca0a00000002 d\n',
    );
  });

  it('ignores arguments as daemontools does', () => {
    const got = ours('tai64n', 'a\n', undefined, ['-x', 'foo']);
    expect(got.status).toBe(0);
    expect(parse(got.stdout).map((l) => l.line)).toEqual(['a\n']);
  });
});

// Write errors: daemontools exits 111, or dies of SIGPIPE when its reader is gone.
describe.skipIf(!HAVE_DT)('tai64n and tai64nlocal exit codes against daemontools\'', () => {
  for (const program of ['tai64n', 'tai64nlocal'] as const) {
    it(`${program}: exit 111 on a write error (/dev/full)`, () => {
      const cmd = (path: string) => run('/bin/sh', 'a\n', undefined, ['-c', `"$0" > /dev/full; echo $?`, path]).stdout.toString();
      expect(cmd(bin(program))).toBe('111\n');
      expect(cmd(DT[program])).toBe('111\n');
    });

    it(`${program}: killed by SIGPIPE when the reader has gone`, async () => {
      const sigpipe = async (path: string) => {
        const child = spawn(path, [], { env: env('UTC'), stdio: ['pipe', 'pipe', 'inherit'] });
        child.stdout.destroy();
        child.stdin.on('error', () => {}); // EPIPE once it is dead
        child.stdin.end(`${'@400000003b9aca0a00000000 line\n'.repeat(100_000)}`);
        return new Promise<[number | null, NodeJS.Signals | null]>((r) => child.on('close', (code, signal) => r([code, signal])));
      };
      expect(await sigpipe(DT[program])).toEqual([null, 'SIGPIPE']);
      expect(await sigpipe(bin(program))).toEqual([null, 'SIGPIPE']);
    });
  }
});
if (!HAVE_DT) console.warn(DT_SKIP_REASON);
