// Long options on Node's util.parseArgs, with the conventions yargs gave relaxlogs and sabo (yargs
// itself cost ~100 ms and ~12 MB a start, doc/design.md, "The chosen stack"): --X VALUE and --X=VALUE, a
// --no-X and --X=true|false for every on/off flag, the last of repeated flags wins, choices checked,
// a forgotten value (`--log-dir --tee`) refused. Errors are thrown as plain messages naming the flag;
// each program wraps them in its own usage error and exit code.
import { parseArgs } from 'node:util';

export interface OptionSpec {
  type: 'string' | 'boolean';
  /** The value's name in --help. */
  arg?: string;
  default?: string | boolean;
  choices?: readonly string[];
  short?: string;
  describe: string;
}

export type OptionSpecs = Record<string, OptionSpec>;

export interface ParsedOptions<N extends string> {
  /** Only the flags given; defaults are the caller's to apply (see `OptionSpec.default`). */
  values: Partial<Record<N, string | boolean>>;
  positionals: string[];
}

export class OptionError extends Error {}

export function parseOptions<S extends OptionSpecs>(argv: readonly string[], specs: S): ParsedOptions<keyof S & string> {
  type Name = keyof S & string;
  const { tokens } = parseArgs({ args: [...argv], options: specs, strict: false, allowPositionals: true, tokens: true });
  const values: Partial<Record<Name, string | boolean>> = {};
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'positional') positionals.push(token.value);
    if (token.kind !== 'option') continue;
    const negated = token.name.startsWith('no-') && specs[token.name.slice(3)]?.type === 'boolean' ? token.name.slice(3) as Name : null;
    if (!Object.hasOwn(specs, token.name) && negated === null) throw new OptionError(`unknown option '${token.rawName}'`);
    const name = negated ?? token.name as Name;
    const spec = specs[name]!;
    if (spec.type === 'boolean') {
      if (negated !== null && token.value !== undefined) throw new OptionError(`${token.rawName} takes no value`);
      if (token.value !== undefined && token.value !== 'true' && token.value !== 'false') {
        throw new OptionError(`--${name}: true or false, not '${token.value}'`);
      }
      values[name] = negated === null && token.value !== 'false';
      continue;
    }
    const value = token.value;
    if (value === undefined || (!token.inlineValue && value.length > 1 && value.startsWith('-'))) {
      throw new OptionError(`${token.rawName} needs a value${value === undefined ? '' : ` (write --${name}=${value} if it starts with '-')`}`);
    }
    if (spec.choices && !spec.choices.includes(value)) {
      throw new OptionError(`--${name}: one of ${spec.choices.join(', ')}, not '${value}'`);
    }
    values[name] = value;
  }
  return { values, positionals };
}

/** One aligned line per option: flags, description, choices, default. */
export function optionsHelp(specs: OptionSpecs): string {
  const lines = Object.entries(specs).map(([name, spec]) => [
    `${spec.short ? `-${spec.short}, ` : '    '}--${name}${spec.arg ? ` ${spec.arg}` : ''}`,
    `${spec.describe}${spec.choices ? ` [${spec.choices.join('|')}]` : ''}${spec.default === undefined ? '' : `  [default: ${JSON.stringify(spec.default)}]`}`,
  ] as const);
  const width = Math.max(...lines.map(([flags]) => flags.length)) + 2;
  return lines.map(([flags, text]) => `  ${flags.padEnd(width)}${text}`).join('\n');
}
