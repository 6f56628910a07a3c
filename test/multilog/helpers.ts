// Differential testing against daemontools' multilog (/usr/bin/multilog): the same script on the
// same input in two sibling directories, then their log directories compared with labels stripped.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { bin } from '../helpers/sandbox.ts';

export const DAEMONTOOLS_MULTILOG = '/usr/bin/multilog';
export const HAVE_MULTILOG = fs.existsSync(DAEMONTOOLS_MULTILOG);
export const OURS = bin('multilog');

export interface Run { stdout: string; stderr: string; code: number | null; signal: NodeJS.Signals | null }

/** Runs `program script...` in `cwd` with `input` (a file's contents) on stdin. */
export function runWith(program: string, script: string[], cwd: string, input: Buffer | string): Run {
  fs.mkdirSync(cwd, { recursive: true });
  const inputFile = path.join(cwd, '..', `${path.basename(cwd)}.input`);
  fs.writeFileSync(inputFile, input);
  const fd = fs.openSync(inputFile, 'r');
  try {
    const r = spawnSync(program, script, { cwd, stdio: [fd, 'pipe', 'pipe'], encoding: 'latin1', timeout: 120_000 });
    return { stdout: r.stdout, stderr: r.stderr, code: r.status, signal: r.signal };
  } finally {
    fs.closeSync(fd);
  }
}

/** Strips TAI64N labels (`@` + 24 hex digits) wherever they are. */
export function unlabel(text: string): string {
  return text.replace(/@[0-9a-f]{24}/g, '@T');
}

/** A log directory as a comparable listing: names with labels stripped, in name (time) order, with
 * modes and contents (labels stripped). */
export function snapshot(dir: string): string[] {
  return fs.readdirSync(dir).sort().map((name) => {
    const file = path.join(dir, name);
    const st = fs.statSync(file);
    const mode = (st.mode & 0o777).toString(8);
    const body = st.isFile() ? unlabel(fs.readFileSync(file, 'latin1')) : '<dir>';
    return `${unlabel(name)} ${mode} ${st.size} ${body}`;
  });
}

/** Lines of varied lengths: empty, short, around 1,000 bytes (the pattern window), long. */
export function mixedInput(lines: number, seed = 1): string {
  let x = seed;
  const random = (): number => { x = (x * 1103515245 + 12345) % 2147483648; return x / 2147483648; };
  const lengths = [0, 3, 40, 99, 100, 150, 973, 974, 975, 999, 1000, 1001, 2500];
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    const n = lengths[Math.floor(random() * lengths.length)]!;
    const kind = ['info', 'ERROR', 'fatal: disk', 'debug'][i % 4]!;
    out.push(`${i} ${kind} `.padEnd(n, 'abcdefghij').slice(0, n));
  }
  return out.join('\n');
}
