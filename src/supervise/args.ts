// `supervise DIR`'s command line: daemontools' one operand, plus --help and --version. Anything else
// (no DIR, two, an unknown option) is daemontools' usage line, exit 100.
export const SUPERVISE_USAGE = 'supervise: usage: supervise dir';

export const SUPERVISE_HELP = `supervise DIR

Run DIR/run and restart it whenever it exits; control it with svc, read it with svstat.
Exit codes: 0 after svc -x once the service is down; 100 usage; 111 DIR unusable.
See man supervise(8) or doc/supervise.md.
`;

export type SuperviseCommand = { action: 'run'; dir: string } | { action: 'help' } | { action: 'version' } | { action: 'usage' };

export function parseSuperviseArgs(argv: readonly string[]): SuperviseCommand {
  const operands: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') { operands.push(...argv.slice(i + 1)); break; }
    if (arg === '--help' || arg === '-h') return { action: 'help' };
    if (arg === '--version') return { action: 'version' };
    if (arg.startsWith('-') && arg !== '-') return { action: 'usage' };
    operands.push(arg);
  }
  return operands.length === 1 ? { action: 'run', dir: operands[0]! } : { action: 'usage' };
}
