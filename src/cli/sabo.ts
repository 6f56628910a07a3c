// sabo / throttle: a pipe at a bandwidth limit shared by every process using the same work dir.
// Start-up (doc/design.md, "Lean companions"): the version alone is answered before anything else is
// loaded; the program's modules are loaded for any other command line (esbuild turns the dynamic import
// into a module initialised on first use). Text goes out with write(2), not process.stdout, whose stream
// would load node:stream.
import { basename } from 'node:path';
import { VERSION } from '../protocol/version.ts';
import { writeAllSync } from '../protocol/write-all.ts';

const name = basename(process.argv[1] ?? '') === 'throttle' ? 'throttle' : 'sabo';
const argv = process.argv.slice(2);
const versionFlags = name === 'sabo' ? ['-V', '--version', '-v'] : ['-V', '--version'];
if (argv.length === 1 && versionFlags.includes(argv[0]!)) writeAllSync(1, Buffer.from(`${name} (svtools) ${VERSION}\n`));
else {
  void import('../sabo/main.ts').then(({ EXIT, main }) => main(argv, name).catch((err: Error) => {
    writeAllSync(2, Buffer.from(`${name}: fatal: ${err.stack ?? err.message}\n`));
    process.exit(EXIT.setup);
  }));
}
