// djb's getopt as daemontools' svc uses it: single-letter flags, clusters (`-du`), `--` ends the
// options, and so does the first argument that is not an option (a lone `-` is an argument).
// svtools' additions take a value (`-T 500` or `-T500`): name those letters in `valueLetters`.

export type GetoptResult =
  | { ok: true; options: string[]; values: Record<string, string>; operands: string[] }
  | { ok: false; bad: string };

export function getopt(args: readonly string[], letters: string, valueLetters = ''): GetoptResult {
  const options: string[] = [];
  const values: Record<string, string> = {};
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') { i++; break; }
    if (arg.length < 2 || !arg.startsWith('-')) break;
    for (let j = 1; j < arg.length; j++) {
      const letter = arg[j]!;
      if (valueLetters.includes(letter)) {
        const value = arg.slice(j + 1) || args[++i];
        if (value === undefined) return { ok: false, bad: letter };
        values[letter] = value;
        break;
      }
      if (!letters.includes(letter)) return { ok: false, bad: letter };
      options.push(letter);
    }
  }
  return { ok: true, options, values, operands: args.slice(i) };
}
