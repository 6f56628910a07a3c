// relaxlogs: the rotating logger a service's log/run execs (doc/relaxlogs.md). Flags of
// kazeburo/relaxlogs keep their meaning; usage errors exit 100, temporary failures 111.
import { parseRelaxlogsCommand, relaxlogsHelp } from '../relaxlogs/args.ts';
import { runLogger } from '../relaxlogs/main.ts';
import { UsageError } from '../relaxlogs/units.ts';
import { VERSION } from '../protocol/version.ts';
import { EXIT_USAGE } from '../protocol/exit-codes.ts';

try {
  const command = parseRelaxlogsCommand(process.argv.slice(2));
  if (command.action === 'help') process.stdout.write(relaxlogsHelp());
  else if (command.action === 'version') process.stdout.write(`${VERSION}\n`);
  else runLogger(command.options);
} catch (err) {
  if (!(err instanceof UsageError)) throw err;
  process.stderr.write(`relaxlogs: usage: ${err.message}\nTry 'relaxlogs --help'.\n`);
  process.exit(EXIT_USAGE);
}
