// daemontools' pattern matching, on bytes: a star before the end of the pattern matches
// any run of bytes without the pattern's next byte (it stops at that byte's first occurrence and never
// backtracks: `*-x` does not match `a-b-x`); a star at the end matches the rest; any other byte matches
// itself, and the whole line must be used up (`+hello` does not select `hello world`).
const STAR = 0x2a;

/** Whether `pattern` matches `line[0, length)` as daemontools' multilog decides it. */
export function matches(pattern: Buffer, line: Buffer, length: number): boolean {
  let p = 0;
  let i = 0;
  for (;;) {
    if (p === pattern.length) return i === length;
    const c = pattern[p++]!;
    if (c === STAR) {
      if (p === pattern.length) return true;
      const next = pattern[p]!;
      for (;;) {
        if (i === length) return false;
        if (line[i] === next) break;
        i++;
      }
      continue;
    }
    if (i === length || line[i] !== c) return false;
    i++;
  }
}
