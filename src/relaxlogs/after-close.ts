// Work on files that rotation has closed, one at a time, off the data path: gzip (--compress) and
// an operator's command (--processor, multilog's `!`). gzip writes FILE.gz.tmp, fsyncs it, renames
// it to FILE.gz and only then removes FILE, so a crash at any point leaves FILE or FILE.gz whole;
// the next start finishes the job (see `recover`).
// zlib and stream/promises are imported on the first --compress: most loggers never compress, and the
// two modules cost every copy ~0.8 MB RSS (bench/companions.bench.mjs).
// Every file-system call here is asynchronous: in svscan's built-in logger this runs on the main thread.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { asyncRunner, call, io, type Steps } from '../protocol/io-steps.ts';
import { creatingFileExclusive } from '../protocol/service-dir.ts';

export interface AfterCloseOptions {
  compress: boolean;
  /** Shell command run with the closed file on stdin and its path in $RELAXLOGS_FILE; '' = none. */
  processor: string;
  retryInterval: number;
  warn: (message: string) => void;
}

export class AfterClose {
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly o: AfterCloseOptions) {}

  get enabled(): boolean {
    return this.o.compress || this.o.processor !== '';
  }

  /** Queues `file` (an absolute path just closed). */
  add(file: string): void {
    this.chain = this.chain.then(() => this.handle(file));
  }

  /** Start-up: remove half-written .gz.tmp files and compress what a previous run left closed but
   * uncompressed (every own file but the one this run appends to). */
  *recover(dir: string, own: RegExp, keep: string): Steps {
    if (!this.o.compress) return;
    let names: string[];
    try { names = yield* call(io.readdir(dir)); } catch { return; }
    for (const n of names) if (n.endsWith('.gz.tmp') && own.test(n.slice(0, -4))) yield* call(io.removeIfPresent(path.join(dir, n)));
    for (const n of names) {
      if (!own.test(n) || n.endsWith('.gz') || n === keep) continue;
      if (names.includes(`${n}.gz`)) yield* call(io.removeIfPresent(path.join(dir, n)));
      else this.add(path.join(dir, n));
    }
  }

  private async handle(file: string): Promise<void> {
    let result = file;
    if (this.o.compress) {
      try {
        result = await gzipFile(file);
      } catch (err) {
        this.o.warn(`unable to compress ${file}: ${(err as Error).message}; left uncompressed`);
      }
    }
    if (this.o.processor) await this.process(result);
  }

  private async process(file: string): Promise<void> {
    for (;;) {
      let input: fs.promises.FileHandle;
      try { input = await fs.promises.open(file, 'r'); } catch { return; } // purged meanwhile
      const code = await new Promise<number | null>((resolve) => {
        const child = spawn('sh', ['-c', this.o.processor], { stdio: [input.fd, 2, 2], env: { ...process.env, RELAXLOGS_FILE: file } });
        child.on('error', () => resolve(null));
        child.on('close', (c) => resolve(c));
      });
      await input.close();
      if (code === 0) return;
      this.o.warn(`processor failed on ${file} (exit ${code}); retrying in ${this.o.retryInterval} ms`);
      await new Promise((r) => setTimeout(r, this.o.retryInterval).unref());
    }
  }
}

async function gzipFile(file: string): Promise<string> {
  const gz = `${file}.gz`;
  const tmp = `${gz}.tmp`;
  const [{ pipeline }, zlib] = await Promise.all([import('node:stream/promises'), import('node:zlib')]);
  // Created afresh (never through a planted link), as private as the log it compresses.
  const mode = (await fs.promises.stat(file)).mode & 0o777;
  const fd = await new Promise<number>((resolve, reject) => asyncRunner(creatingFileExclusive(tmp, mode), (err, value) => (err ? reject(err) : resolve(value!))));
  await pipeline(fs.createReadStream(file), zlib.createGzip(), fs.createWriteStream(tmp, { fd }));
  const written = await fs.promises.open(tmp, 'r');
  try { await written.sync(); } finally { await written.close(); }
  await fs.promises.rename(tmp, gz);
  await fs.promises.unlink(file);
  return gz;
}
