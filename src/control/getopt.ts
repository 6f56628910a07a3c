// djb's getopt as daemontools' svc uses it: single-letter flags, clusters (`-du`), `--` ends the
// options, and so does the first argument that is not an option (a lone `-` is an argument).

export type GetoptResult =
  | { ok: true; options: string[]; operands: string[] }
  | { ok: false; bad: string };

export function getopt(args: readonly string[], letters: string): GetoptResult {
  const options: string[] = [];
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') { i++; break; }
    if (arg.length < 2 || !arg.startsWith('-')) break;
    for (const letter of arg.slice(1)) {
      if (!letters.includes(letter)) return { ok: false, bad: letter };
      options.push(letter);
    }
  }
  return { ok: true, options, operands: args.slice(i) };
}
