import { describe, expect, it } from 'vitest';
import { Framer, type LongLines } from '../../src/relaxlogs/framer.ts';

function frame(chunks: (string | Buffer)[], opts: { label?: string; maxLine?: number; longLines?: LongLines; bufferSize?: number } = {}) {
  const out: Buffer[] = [];
  const f = new Framer({ maxLine: opts.maxLine ?? 0, longLines: opts.longLines ?? 'split', bufferSize: opts.bufferSize ?? 1 << 20 },
    (b) => out.push(Buffer.from(b)));
  for (const c of chunks) f.push(Buffer.isBuffer(c) ? c : Buffer.from(c), opts.label ? Buffer.from(opts.label) : null);
  f.endLine();
  f.flush();
  return Buffer.concat(out);
}

describe('Framer', () => {
  it('labels every line once, also across reads, and ends a last line without newline', () => {
    expect(frame(['a\nb', 'c\n', 'd'], { label: 'T ' }).toString()).toBe('T a\nT bc\nT d\n');
  });

  it('passes binary bytes and \\r through untouched', () => {
    const bin = Buffer.from([0, 1, 2, 255, 13, 10, 200, 0, 10]);
    expect(frame([bin]).equals(bin)).toBe(true);
    expect(frame([bin], { label: '@ ' }).toString('latin1')).toBe(`@ ${Buffer.from([0, 1, 2, 255, 13, 10]).toString('latin1')}@ ${Buffer.from([200, 0, 10]).toString('latin1')}`);
  });

  it('splits, truncates or keeps long lines, never failing', () => {
    const long = `${'x'.repeat(10)}\nok\n`;
    expect(frame([long], { maxLine: 4, longLines: 'split', label: '> ' }).toString()).toBe('> xxxx\n> xxxx\n> xx\n> ok\n');
    expect(frame(['xxx', 'xxxxxxx\nok\n'], { maxLine: 4, longLines: 'truncate' }).toString()).toBe('xxxx\nok\n');
    expect(frame([long], { maxLine: 4, longLines: 'keep' }).toString()).toBe(long);
    expect(frame(['xxxx\n'], { maxLine: 4 }).toString()).toBe('xxxx\n');
  });

  it('handles lines larger than its buffer', () => {
    const big = `${'y'.repeat(3 << 20)}\n`;
    const out = frame([big.slice(0, 100_000), big.slice(100_000)], { label: 'L ', bufferSize: 65536, longLines: 'keep', maxLine: 0 });
    expect(out.length).toBe(big.length + 2);
    expect(out.subarray(0, 3).toString()).toBe('L y');
  });
});
