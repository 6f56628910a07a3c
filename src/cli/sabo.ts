// sabo / throttle: a pipe at a bandwidth limit shared by every process using the same work dir.
// One bundle serves both threads: the main thread runs the program, the worker thread the copy loop.
import { basename } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { EXIT, main, runCopyWorker } from '../sabo/main.ts';

if (isMainThread) {
  const name = basename(process.argv[1] ?? '') === 'throttle' ? 'throttle' : 'sabo';
  main(process.argv.slice(2), name, new URL(import.meta.url)).catch((err: Error) => {
    process.stderr.write(`${name}: fatal: ${err.stack ?? err.message}\n`);
    process.exit(EXIT.setup);
  });
} else {
  runCopyWorker();
}
