// loudCounter (src/protocol/v8-compilers.ts): V8's compilers go on once the threshold passes within one
// second, and not for the same bytes spread over longer.
import { describe, expect, it } from 'vitest';
import { loudCounter } from '../../src/protocol/v8-compilers.ts';

describe('loudCounter', () => {
  it('switches once, when the threshold passes within a second', () => {
    let switches = 0;
    const count = loudCounter(1000, () => { switches++; });
    count(600);
    expect(count.on).toBe(false);
    count(400);
    expect(count.on).toBe(true);
    count(10_000);
    expect(switches).toBe(1);
  });

  it('stays off for the same bytes spread over more than a second', async () => {
    const count = loudCounter(1000);
    count(600);
    await new Promise((r) => setTimeout(r, 1100));
    count(600);
    expect(count.on).toBe(false);
    count(400);
    expect(count.on).toBe(true);
  });
});
