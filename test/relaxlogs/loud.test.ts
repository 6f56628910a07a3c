// A loud relaxlogs: bin/relaxlogs starts Node with V8's compilers off, and input of 8 MiB within a second
// turns them on mid-run (src/protocol/v8-compilers.ts). Every line before, across and after the switch is
// labelled and written once, whole, in order.
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { RELAXLOGS, waitFor } from './helpers.ts';

const LABEL = /^\[\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] /;

describe('relaxlogs turning V8\'s compilers on', () => {
  const children: ReturnType<typeof spawn>[] = [];
  afterEach(() => { for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL'); });

  it('labels and writes every line across the switch', async () => {
    const logger = spawn(RELAXLOGS, ['--with-time'], { stdio: ['pipe', 'pipe', 'pipe'] });
    children.push(logger);
    const out: Buffer[] = [];
    let stderr = '';
    logger.stdout!.on('data', (b: Buffer) => out.push(b));
    logger.stderr!.setEncoding('utf8').on('data', (s: string) => { stderr += s; });
    const exited = new Promise<number | null>((resolve) => logger.on('exit', (code) => resolve(code)));
    let next = 0;
    const batch = (lines: number): Buffer => {
      let s = '';
      for (let i = 0; i < lines; i++, next++) s += `${String(next).padStart(10, '0')} ${'x'.repeat(88)}\n`;
      return Buffer.from(s);
    };
    const write = (b: Buffer): Promise<void> => new Promise((resolve) => { if (logger.stdin!.write(b)) resolve(); else logger.stdin!.once('drain', resolve); });

    const stats = (): { v8Compilers?: boolean } | undefined => {
      const lines = stderr.split('\n').filter((l) => l.includes('"msg":"stats"'));
      return lines.length ? JSON.parse(lines[lines.length - 1]!) : undefined;
    };
    // USR1 before its handler exists would end it: the first line out means it is running.
    await write(batch(1));
    await waitFor('the first line', () => out.length > 0);
    logger.kill('SIGUSR1');
    await waitFor('the first stats', () => stats());
    expect(stats()!.v8Compilers).toBe(false);

    // 16 MiB at once: far more than 8 MiB in its first second.
    for (let i = 0; i < 16; i++) await write(batch(10_486));
    let asked = 0;
    await waitFor('compilers on', () => {
      if (Date.now() - asked > 200) { asked = Date.now(); logger.kill('SIGUSR1'); }
      return stats()?.v8Compilers === true;
    }, 30_000);
    for (let i = 0; i < 8; i++) await write(batch(10_486));
    logger.stdin!.end();
    expect(await exited).toBe(0);

    const lines = Buffer.concat(out).toString('latin1').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.length).toBe(next);
    lines.forEach((line, i) => {
      if (!LABEL.test(line) || line.replace(LABEL, '') !== `${String(i).padStart(10, '0')} ${'x'.repeat(88)}`) {
        throw new Error(`line ${i} wrong: ${JSON.stringify(line.slice(0, 60))}`);
      }
    });
  });
});
