// Pure parts: units as go-humanize (Go sabo) parses them, the limiters against a fake clock, and
// /proc/locks parsing.
import { describe, expect, it } from 'vitest';
import { TokenBucket, WindowLimiter } from '../../src/sabo/rate-limiter.ts';
import { lockKey, parseProcLocks } from '../../src/sabo/proc-locks.ts';
import { parseBurst, parseDuration, parseRate, parseSize } from '../../src/sabo/units.ts';
import { weightOf } from '../../src/sabo/share-group.ts';

describe('units', () => {
  it.each([
    ['32K', 32_000], ['32KB', 32_000], ['32 kb', 32_000], ['100M', 100_000_000], ['1G', 1e9],
    ['1KiB', 1024], ['1 MiB', 1048576], ['1mi', 1048576], ['1.5M', 1_500_000], ['1,000', 1000],
    ['31999', 31_999], ['100Mbit', 12_500_000], ['8bit', 1], ['100mbps', 12_500_000], ['10MB/s', 10_000_000],
    ['2b', 2],
  ])('%s is %d bytes', (text, bytes) => expect(parseSize(text)).toBe(bytes));

  it('makes bare K/M/G binary under --units iec, as pv -L', () => {
    expect(parseSize('100M', 'iec')).toBe(104_857_600);
    expect(parseSize('1k', 'iec')).toBe(1024);
    expect(parseSize('1Mbit', 'iec')).toBe(131_072);
  });

  it.each(['abc', '', 'M', '1.2.3', '10 furlongs', '-5'])('rejects %j', (text) => {
    expect(() => parseRate(text)).toThrow(RangeError);
  });

  it('rejects a zero rate, unlike a zero size', () => {
    expect(() => parseRate('0')).toThrow(/greater than 0/);
    expect(parseSize('0')).toBe(0);
  });

  it('parses durations and bursts', () => {
    expect(parseDuration('1s')).toBe(1000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('2')).toBe(2000);
    expect(parseDuration('1.5m')).toBe(90_000);
    expect(parseBurst('500ms')).toEqual({ seconds: 0.5 });
    expect(parseBurst('1M')).toEqual({ bytes: 1_000_000 });
  });
});

describe('TokenBucket', () => {
  it('starts empty and grants at the rate', () => {
    const b = new TokenBucket(1000, { seconds: 1 }, false, 0);
    expect(b.take(100, 0)).toBeCloseTo(100);
    expect(b.take(100, 100)).toBe(0);
    expect(b.take(100, 150)).toBeCloseTo(50);
  });

  it('never holds more than the burst, so idle time is not made up', () => {
    const b = new TokenBucket(1000, { seconds: 1 }, false, 0);
    expect(b.take(1000, 60_000)).toBe(0);
    expect(b.take(1, 60_000)).toBeGreaterThan(0);
  });

  it('clips earned tokens to a smaller share at once (a peer joined)', () => {
    const b = new TokenBucket(1000, { seconds: 1 }, true, 0);
    b.setRate(250, 0);
    expect(b.capacity).toBe(250);
    expect(b.take(250, 0)).toBe(0);
    expect(b.take(250, 0)).toBeCloseTo(1000);
  });

  it('keeps tokens earned at the old rate when the share grows', () => {
    const b = new TokenBucket(100, { seconds: 1 }, false, 0);
    b.setRate(1000, 500); // 50 tokens earned at 100/s
    expect(b.take(50, 500)).toBe(0);
  });

  it('takes a fixed byte burst', () => {
    const b = new TokenBucket(1000, { bytes: 10 }, true, 0);
    expect(b.capacity).toBe(10);
  });
});

describe('WindowLimiter', () => {
  it('averages over the window and starts afresh at the next one', () => {
    const w = new WindowLimiter(1000, 2, 0);
    expect(w.take(500, 0)).toBe(0);
    expect(w.take(500, 100)).toBeCloseTo(400);
    expect(w.take(500, 500)).toBe(0);
    expect(w.take(500, 2100)).toBe(0); // new window
  });
});

describe('/proc/locks', () => {
  it('keeps granted FLOCK lines only', () => {
    const held = parseProcLocks([
      '1: FLOCK  ADVISORY  WRITE 4579 fe:00:2146549 0 EOF',
      '1: -> FLOCK  ADVISORY  WRITE 4580 fe:00:2146549 0 EOF',
      '2: POSIX  ADVISORY  WRITE 4253 fe:00:2146516 0 EOF',
      '3: OFDLCK ADVISORY  READ  -1 00:2f:77 0 EOF',
    ].join('\n'));
    expect([...held]).toEqual(['fe:00:2146549']);
  });

  it('spells device numbers as the kernel does', () => {
    expect(lockKey(65024n, 2146549n)).toBe('fe:00:2146549');
    expect(lockKey(0x2fn, 77n)).toBe('00:2f:77');
  });

  it('reads weights from lock names and counts other names once', () => {
    expect(weightOf('sabo_1000_1_abc-w3.lock')).toBe(3);
    expect(weightOf('sabo_1000_1_abc.lock')).toBe(1);
    expect(weightOf('sabo_1000_1.lock')).toBe(1);
  });
});
