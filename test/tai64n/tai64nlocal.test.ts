// tai64nlocal against daemontools' on the same bytes: stdout must be identical byte for byte.
import { describe, expect, it } from 'vitest';
import { formatTai64n } from '../../src/protocol/tai64n.ts';
import { localiser } from '../../src/tai64n/local.ts';
import { DT_SKIP_REASON, HAVE_DT, ours, theirs, type Tz } from './run.ts';

const label = (seconds: number, nanoseconds = 0) => formatTai64n({ seconds, nanoseconds });

/** A fixed pseudo-random sequence, so a failure can be replayed. */
function rng(seed: number) {
  return () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
}

/** Labels over 1000 years either side of 1970, every hour around the DST months, odd nanoseconds. */
function manyLabels(): string {
  const rnd = rng(7);
  const lines: string[] = [];
  for (let i = 0; i < 2000; i++) lines.push(`${label(Math.floor((rnd() - 0.5) * 6.3e10), Math.floor(rnd() * 1e9))} random`);
  for (const year of [1900, 1944, 1975, 1996, 2007, 2024, 2037, 2038, 2100, 2400]) {
    for (const month of [2, 3, 9, 10]) {
      const start = Date.UTC(year, month, 1) / 1000;
      for (let h = 0; h < 24 * 31; h++) {
        lines.push(`${label(start + h * 3600 - 1, 999_999_999)} before the hour`);
        lines.push(`${label(start + h * 3600)}\ton the hour`);
      }
    }
  }
  // Far from now but inside what glibc's localtime() converts (years up to 5 million: past that
  // glibc's DST arithmetic overflows an int, doc/tai64nlocal.md).
  for (const s of [0, -1, 1, -10, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), -62135596800, -62135596801, 253402300799, 253402300800,
    8e12, -8e12, 1e13, -1e13, 3.15e13, 1e14, -1e14, 1.5e14]) {
    for (const n of [0, 1, 999_999_999, 1e9, 4_294_967_295]) lines.push(`${label(s, n)} far`);
  }
  return lines.join('\n') + '\n';
}

const ZONES: Tz[] = [undefined, 'UTC', '', 'Europe/Paris', ':Europe/Paris', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata', 'Nowhere/Atlantis'];

describe.skipIf(!HAVE_DT)('tai64nlocal against daemontools\' tai64nlocal', () => {
  const input = manyLabels();
  for (const tz of ZONES) {
    it(`converts ${input.split('\n').length - 1} labels identically with TZ ${tz === undefined ? 'unset' : `'${tz}'`}`, () => {
      const want = theirs('tai64nlocal', input, tz);
      const got = ours('tai64nlocal', input, tz);
      expect(want.status).toBe(0);
      expect(got.status).toBe(0);
      expect(got.stdout.equals(want.stdout)).toBe(true);
    });
  }

  it('prints years up to 2^31 + 1899 in UTC as glibc and fmt_ulong do (int wrap, unsigned print)', () => {
    const lines = [67767976233532799, -67768040609740800, 67767976233532799 - 86400 * 400, 6e16, -6e16, 1e15, -1e15]
      .map((s) => `${label(s, 5)} y`).join('\n') + '\n';
    const want = theirs('tai64nlocal', lines, 'UTC');
    expect(want.status).toBe(0);
    expect(ours('tai64nlocal', lines, 'UTC').stdout.toString()).toBe(want.stdout.toString());
  });

  const edgeCases: Record<string, string | Buffer> = {
    'empty input': '',
    'a line without a label': 'plain line\n',
    'an empty line': '\n\n',
    'a label not at the start of a line': ` ${label(1e9)} x\nx${label(1e9)}\n`,
    'a last line without newline': `${label(1e9)} first\n${label(1e9 + 1)} last, no newline`,
    'a last line that is only a label, no newline (dropped)': `${label(1e9)} first\n${label(1e9 + 1)}`,
    'a label ended by a newline': `${label(1e9)}\n`,
    'CRLF lines': `${label(1e9)} one\r\n${label(1e9, 7)}\r\n\r\n`,
    'uppercase hex ends the digits': `${label(1e9)}ABC\n`,
    '28 digits (only the last 24 count)': `@ffff${label(1e9).slice(1)} x\n`,
    'a label followed by another': `${label(1e9)}${label(5)}\n`,
    'binary bytes': Buffer.concat([Buffer.from(`${label(1e9)}`), Buffer.from([0, 255, 128, 10, 0, 13, 10, 0x41, 10])]),
    'a 1 MiB line': `${label(1e9, 12345)} ${'x'.repeat(1 << 20)}\n${label(2e9)} after\n`,
    '100k short lines': `${label(1.7e9, 1)} a\n`.repeat(100_000),
  };
  for (const [name, input] of Object.entries(edgeCases)) {
    it(`handles ${name} identically`, () => {
      const want = theirs('tai64nlocal', input, 'Europe/Paris');
      const got = ours('tai64nlocal', input, 'Europe/Paris');
      expect([got.status, got.signal]).toEqual([want.status, want.signal]);
      expect(got.stdout.equals(want.stdout)).toBe(true);
    });
  }

  // daemontools 0.76 (Debian 1:0.76-8.1) dies of SIGSEGV when localtime() fails: any label whose
  // seconds are far from 2^62 (short, mangled or empty labels). Ours passes such a line unchanged.
  const crashing = ['@ no digits', '@4000 short', '@400000003B9ACA0000000000 uppercase', '@400000003b9aca00 16 digits',
    '@ffffffffffffffffffffffff all f', '@000000000000000000000000 zero', '@4000000000000000000000000 25 digits'];
  for (const line of crashing) {
    it(`passes '${line}' unchanged where daemontools crashes`, () => {
      const input = `${line}\n`;
      expect(theirs('tai64nlocal', input, 'UTC').signal).toBe('SIGSEGV');
      const got = ours('tai64nlocal', input, 'UTC');
      expect(got.status).toBe(0);
      expect(got.stdout.toString('latin1')).toBe(input);
    });
  }

  it('ignores arguments as daemontools does', () => {
    const input = `${label(1e9)} x\n`;
    expect(ours('tai64nlocal', input, 'UTC', ['-x', 'foo']).stdout.toString()).toBe(theirs('tai64nlocal', input, 'UTC', ['-x', 'foo']).stdout.toString());
  });
});
if (!HAVE_DT) console.warn(DT_SKIP_REASON);

describe('tai64nlocal\'s parser', () => {
  it('gives the same bytes however the input is cut into reads', () => {
    const input = Buffer.from(`${label(1e9, 1)} a\n@4000 short\n${label(2e9)}\n\nplain\n${label(3e9)}x${'y'.repeat(100)}\n@`);
    const whole = localiser().chunk(input).toString('latin1');
    const rnd = rng(3);
    for (let trial = 0; trial < 200; trial++) {
      const t = localiser();
      let got = '';
      for (let at = 0; at < input.length;) {
        const n = 1 + Math.floor(rnd() * (trial < 50 ? 2 : 40));
        got += t.chunk(Buffer.from(input.subarray(at, at + n))).toString('latin1');
        at += n;
      }
      got += t.end().toString('latin1');
      expect(got).toBe(whole);
    }
  });
});
