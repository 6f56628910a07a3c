// supervise DIR: one worker alone, as daemontools' supervise (doc/supervise.md).
// The worker's modules are loaded only for a run: esbuild turns the dynamic import into a module
// initialised on first use, so --help, --version and a usage error start as fast as a client
// (doc/design.md, "Lean companions"). Their text is written with write(2), not process.stdout, whose
// stream would load node:stream (or node:net on a pipe).
import { VERSION } from '../protocol/version.ts';
import { writeAllSync } from '../protocol/write-all.ts';
import { parseSuperviseArgs, SUPERVISE_HELP, SUPERVISE_USAGE } from '../supervise/args.ts';
import type { WorkerEvent } from '../supervise/worker.ts';
import { restoreExtraCaCerts } from '../protocol/extra-ca-certs.ts';

restoreExtraCaCerts(); // bin/supervise's hand-over, for the service's environment

const command = parseSuperviseArgs(process.argv.slice(2));
if (command.action === 'usage') {
  writeAllSync(2, Buffer.from(`${SUPERVISE_USAGE}\n`));
  process.exit(100);
}
if (command.action === 'help' || command.action === 'version') {
  writeAllSync(1, Buffer.from(command.action === 'help' ? SUPERVISE_HELP : `${VERSION}\n`));
  process.exit(0);
}

function report(event: WorkerEvent): void {
  if (event.type === 'spawn-error') process.stderr.write(`supervise: fatal: ${event.text}\n`);
  else if (event.type === 'warning') process.stderr.write(`supervise: warning: ${event.text}\n`);
  else if (event.type === 'finish') process.exit(0);
}

const { dir } = command;
void import('../supervise/worker.ts').then(({ SuperviseWorker, SuperviseStartError }) =>
  SuperviseWorker.start({ dir, onEvent: report }).catch((err: unknown) => {
    const message = err instanceof SuperviseStartError ? err.message : String((err as Error)?.message ?? err);
    process.stderr.write(`supervise: fatal: ${message}\n`);
    process.exit(111);
  }));
