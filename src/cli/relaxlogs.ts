// relaxlogs: the rotating logger a service's log/run execs (doc/relaxlogs.md). Flags of
// kazeburo/relaxlogs keep their meaning; usage errors exit 100, temporary failures 111.
// Start-up (doc/design.md, "Lean companions"): `relaxlogs --version` (or -v) alone is answered before
// anything else is loaded; any other command line is parsed first, and the logger's modules are loaded
// only for a run. esbuild turns each dynamic import into a module initialised on first use. Text goes
// out with write(2), not process.stdout, whose stream would load node:stream (node:net on a pipe).
import { VERSION } from '../protocol/version.ts';
import { EXIT_USAGE } from '../protocol/exit-codes.ts';
import { writeAllSync } from '../protocol/write-all.ts';
import { restoreExtraCaCerts } from '../protocol/extra-ca-certs.ts';

restoreExtraCaCerts(); // bin/relaxlogs's hand-over, for the --processor's environment
const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) writeAllSync(1, Buffer.from(`${VERSION}\n`));
else void relaxlogs(argv);

async function relaxlogs(args: string[]): Promise<void> {
  const [{ parseRelaxlogsCommand, relaxlogsHelp }, { UsageError }] = await Promise.all([import('../relaxlogs/args.ts'), import('../relaxlogs/units.ts')]);
  // A usage error (the command line, or runLogger's checks before any side effect) exits 100.
  try {
    const command = parseRelaxlogsCommand(args);
    if (command.action === 'help') writeAllSync(1, Buffer.from(relaxlogsHelp()));
    else if (command.action === 'version') writeAllSync(1, Buffer.from(`${VERSION}\n`));
    else (await import('../relaxlogs/main.ts')).runLogger(command.options);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    writeAllSync(2, Buffer.from(`relaxlogs: usage: ${err.message}\nTry 'relaxlogs --help'.\n`));
    process.exit(EXIT_USAGE);
  }
}
