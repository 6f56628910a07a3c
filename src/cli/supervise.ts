// supervise DIR: one worker alone, as daemontools' supervise (doc/supervise.md).
import { VERSION } from '../protocol/version.ts';
import { parseSuperviseArgs, SUPERVISE_HELP, SUPERVISE_USAGE } from '../supervise/args.ts';
import { SuperviseWorker, SuperviseStartError, type WorkerEvent } from '../supervise/worker.ts';

const command = parseSuperviseArgs(process.argv.slice(2));
if (command.action === 'usage') {
  process.stderr.write(`${SUPERVISE_USAGE}\n`);
  process.exit(100);
}
if (command.action === 'help' || command.action === 'version') {
  process.stdout.write(command.action === 'help' ? SUPERVISE_HELP : `${VERSION}\n`);
  process.exit(0);
}

function report(event: WorkerEvent): void {
  if (event.type === 'spawn-error') process.stderr.write(`supervise: fatal: ${event.text}\n`);
  else if (event.type === 'warning') process.stderr.write(`supervise: warning: ${event.text}\n`);
  else if (event.type === 'finish') process.exit(0);
}

SuperviseWorker.start({ dir: command.dir, onEvent: report }).catch((err: unknown) => {
  const message = err instanceof SuperviseStartError ? err.message : String((err as Error)?.message ?? err);
  process.stderr.write(`supervise: fatal: ${message}\n`);
  process.exit(111);
});
