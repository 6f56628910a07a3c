// multilog's script (daemontools 0.76): the arguments, read left to right. `t` first labels every
// line; `sSIZE`, `nNUM`, `!PROCESSOR` set the rotation of the log directories named after them;
// `+PATTERN`/`-PATTERN` select and deselect the line; `e` copies a selected line to stderr; `=FILE`
// keeps the last selected line in FILE; `./DIR` or `/DIR` appends selected lines to a log directory.
// daemontools ignores any other argument; so does this parser, listing them in `ignored` for a host
// that wants to warn. Numbers are read as its scan_ulong reads them: leading digits, anything after
// them ignored, none = 0; then clamped to its limits.

export const DEFAULT_SIZE = 99999;
export const MIN_SIZE = 4096;
export const MAX_SIZE = 16777215;
export const DEFAULT_NUM = 10;
export const MIN_NUM = 2;

export type Action =
  | { kind: 'select'; pattern: Buffer }
  | { kind: 'deselect'; pattern: Buffer }
  | { kind: 'stderr' }
  | { kind: 'status'; file: string }
  | { kind: 'dir'; dir: string; size: number; num: number; processor: string | null };

export interface MultilogScript {
  /** `t` as the first argument: each line starts with `@`, its TAI64N label and a space. */
  timestamp: boolean;
  /** Line actions in order (`s`, `n`, `!` are folded into the `dir` actions after them). */
  actions: Action[];
  /** Arguments daemontools ignores (`t` elsewhere than first, unknown letters, empty strings). */
  ignored: string[];
}

export class MultilogUsageError extends Error {}

/** daemontools' scan_ulong: the leading decimal digits, 0 when there are none. */
function leadingNumber(text: string): number {
  const m = /^[0-9]*/.exec(text)![0];
  return m === '' ? 0 : Number(m);
}

/** Parses a multilog script; a MultilogUsageError only for what could never run (`=` with no file). */
export function parseMultilogScript(args: readonly string[]): MultilogScript | MultilogUsageError {
  const timestamp = args.length > 0 && args[0]!.startsWith('t');
  const actions: Action[] = [];
  const ignored: string[] = [];
  let size = DEFAULT_SIZE;
  let num = DEFAULT_NUM;
  let processor: string | null = null;
  args.forEach((arg, i) => {
    switch (arg[0]) {
      case 's': size = Math.min(Math.max(leadingNumber(arg.slice(1)), MIN_SIZE), MAX_SIZE); break;
      case 'n': num = Math.max(leadingNumber(arg.slice(1)), MIN_NUM); break;
      case '!': processor = arg.slice(1); break;
      case '+': actions.push({ kind: 'select', pattern: Buffer.from(arg.slice(1)) }); break;
      case '-': actions.push({ kind: 'deselect', pattern: Buffer.from(arg.slice(1)) }); break;
      case 'e': actions.push({ kind: 'stderr' }); break;
      case '=': actions.push({ kind: 'status', file: arg.slice(1) }); break;
      case '.': case '/': actions.push({ kind: 'dir', dir: arg, size, num, processor }); break;
      default: if (!(i === 0 && timestamp)) ignored.push(arg);
    }
  });
  const unnamed = actions.find((a) => a.kind === 'status' && a.file === '');
  if (unnamed) return new MultilogUsageError("'=' names no status file (write =FILE)");
  return { timestamp, actions, ignored };
}
