// supervise DIR: one worker alone, as daemontools' supervise (see doc in README.md).
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { SuperviseWorker, SuperviseStartError, type WorkerEvent } from '../supervise/worker.ts';

const USAGE = 'supervise: usage: supervise dir';

function usage(): never {
  process.stderr.write(`${USAGE}\n`);
  process.exit(100);
}

const argv = yargs(hideBin(process.argv))
  .scriptName('supervise')
  .usage('supervise DIR\n\nRun DIR/run and restart it whenever it exits; control it with svc, read it with svstat.')
  .strictOptions()
  .fail((_msg, err) => { if (err) throw err; usage(); })
  .version()
  .help()
  .parseSync();

const dirs = argv._.map(String);
if (dirs.length !== 1) usage();

function report(event: WorkerEvent): void {
  if (event.type === 'spawn-error') process.stderr.write(`supervise: fatal: ${event.text}\n`);
  else if (event.type === 'warning') process.stderr.write(`supervise: warning: ${event.text}\n`);
  else if (event.type === 'finish') process.exit(0);
}

SuperviseWorker.start({ dir: dirs[0]!, onEvent: report }).catch((err: unknown) => {
  const message = err instanceof SuperviseStartError ? err.message : String((err as Error)?.message ?? err);
  process.stderr.write(`supervise: fatal: ${message}\n`);
  process.exit(111);
});
