// sabo / throttle: a pipe at a bandwidth limit shared by every process using the same work dir.
import { basename } from 'node:path';
import { EXIT, main } from '../sabo/main.ts';

const name = basename(process.argv[1] ?? '') === 'throttle' ? 'throttle' : 'sabo';
main(process.argv.slice(2), name).catch((err: Error) => {
  process.stderr.write(`${name}: fatal: ${err.stack ?? err.message}\n`);
  process.exit(EXIT.setup);
});
