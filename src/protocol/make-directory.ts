// `mkdir -p` with a mode. Not fs.mkdirSync's { recursive: true }: where mkdir(2) says ENOENT for a
// directory whose parent exists (/proc), Node's recursive mkdir loops forever; this one throws.
import path from 'node:path';
import { call, io, runSync, type Steps } from './io-steps.ts';

export function makeDirectory(dir: string, mode: number): void {
  runSync(makingDirectory(dir, mode));
}

/** The same as steps (src/protocol/io-steps.ts), for engines that also run asynchronously. */
export function* makingDirectory(dir: string, mode: number): Steps {
  try {
    yield* call(io.mkdir(dir, mode));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' && (yield* call(io.stat(dir))).isDirectory()) return;
    const parent = path.dirname(dir);
    if (code !== 'ENOENT' || parent === dir) throw err;
    yield* makingDirectory(parent, mode);
    yield* call(io.mkdir(dir, mode));
  }
}
