// Options of the monitoring forms of svstat, and of svcheck, parsed with Node's util.parseArgs (no
// dependency in a hot client). Options may come before or after the directories; `--` ends them.
import { parseArgs } from 'node:util';
import { parseRestartLimit, type Thresholds } from './check.ts';
import { FIELD_NAMES, isFieldName, type FieldName } from './fields.ts';

export type Format = 'text' | 'json' | 'fields' | 'zabbix-lld' | 'prometheus' | 'mackerel' | 'check' | 'check-ready';

export interface MonitorOptions {
  format: Format;
  fields: FieldName[];
  /** Arguments are scan directories: check every service in them. */
  scan: boolean;
  textfileDir?: string;
  textfileName?: string;
  thresholds: Thresholds;
  dirs: string[];
  help: boolean;
}

const FORMATS = ['text', 'json', 'zabbix-lld', 'prometheus', 'mackerel'];
/** Options that take a value (as `--opt VALUE` or `--opt=VALUE`). */
const WITH_VALUE = new Set(['--format', '--textfile', '--textfile-name', '--warn-uptime', '--crit-uptime', '--warn-restarts', '--crit-restarts', '--ready-timeout', '--state-file']);
const FLAGS = new Set(['--json', '--scan', '--check', '--help']);

/**
 * True when `args` use an svtools monitoring option, so svstat parses options at all. Otherwise
 * every argument is a directory, as in daemontools' svstat (which has no options).
 */
export function usesMonitorOptions(args: readonly string[]): boolean {
  for (const arg of args) {
    if (arg === '--') return false;
    if (arg.startsWith('-o') || FLAGS.has(arg) || arg.startsWith('--check=')) return true;
    const name = arg.split('=', 1)[0]!;
    if (WITH_VALUE.has(name)) return true;
  }
  return false;
}

export const SVSTAT_USAGE = [
  'usage: svstat DIR...                              (daemontools output)',
  '       svstat --json [--scan] DIR...',
  `       svstat -o FIELD[,FIELD...] [--scan] DIR...    fields: ${FIELD_NAMES.join(' ')}`,
  '       svstat --format=zabbix-lld SCANDIR...',
  '       svstat --format=prometheus|mackerel [--scan] [--textfile DIR [--textfile-name NAME.prom]] DIR...',
  '       svstat --check[=ready] [svcheck options] DIR...',
];
export const SVCHECK_USAGE = [
  'usage: svcheck [--scan] [--warn-uptime S] [--crit-uptime S] [--warn-restarts N/WINDOW] [--crit-restarts N/WINDOW]',
  '               [--ready-timeout S] [--state-file FILE] DIR...',
  '  exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN; WINDOW in seconds, or with s/m/h',
];

function seconds(name: string, v: string): number {
  if (!/^\d+$/.test(v)) throw new Error(`${name} wants whole seconds, not ${JSON.stringify(v)}`);
  return Number(v);
}

const OPTIONS = {
  o: { type: 'string', short: 'o', multiple: true },
  json: { type: 'boolean' }, scan: { type: 'boolean' }, help: { type: 'boolean' }, check: { type: 'boolean' },
  format: { type: 'string' }, textfile: { type: 'string' }, 'textfile-name': { type: 'string' },
  'warn-uptime': { type: 'string' }, 'crit-uptime': { type: 'string' }, 'ready-timeout': { type: 'string' },
  'warn-restarts': { type: 'string' }, 'crit-restarts': { type: 'string' }, 'state-file': { type: 'string' },
} as const;

/** Parses monitoring options (util.parseArgs, in order: the last format named wins); throws Error for bad usage. */
export function parseMonitorArgs(args: readonly string[], defaultFormat: Format): MonitorOptions {
  const o: MonitorOptions = { format: defaultFormat, fields: [], scan: false, thresholds: {}, dirs: [], help: false };
  // `--check` is a flag that may also be `--check=ready`, a form parseArgs has no type for.
  const end = args.indexOf('--');
  const options = end < 0 ? args : args.slice(0, end);
  const checkValue = options.find((a) => a.startsWith('--check='))?.slice('--check='.length);
  if (checkValue !== undefined && checkValue !== 'ready') throw new Error(`--check takes no value or =ready, not ${JSON.stringify(checkValue)}`);
  let tokens;
  try {
    ({ tokens } = parseArgs({
      args: [...options.map((a) => (a === '--check=ready' ? '--check' : a)), ...(end < 0 ? [] : args.slice(end))],
      options: OPTIONS, allowPositionals: true, strict: true, tokens: true,
    }));
  } catch (e) {
    throw new Error((e as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
  for (const token of tokens) {
    if (token.kind === 'positional') { o.dirs.push(token.value); continue; }
    if (token.kind !== 'option') continue;
    const name = `--${token.name}`;
    const value = token.value ?? '';
    switch (token.name) {
      case 'o':
        for (const field of value.split(',')) {
          if (!isFieldName(field)) throw new Error(`unknown field ${JSON.stringify(field)}; fields: ${FIELD_NAMES.join(' ')}`);
          o.fields.push(field);
        }
        o.format = 'fields';
        break;
      case 'json': o.format = 'json'; break;
      case 'scan': o.scan = true; break;
      case 'help': o.help = true; break;
      case 'check': o.format = checkValue === 'ready' ? 'check-ready' : 'check'; break;
      case 'format':
        if (!FORMATS.includes(value)) throw new Error(`unknown format ${JSON.stringify(value)}; formats: ${FORMATS.join(' ')}`);
        o.format = value as Format;
        break;
      case 'textfile': o.textfileDir = value; break;
      case 'textfile-name': o.textfileName = value; break;
      case 'warn-uptime': o.thresholds.warnUptime = seconds(name, value); break;
      case 'crit-uptime': o.thresholds.critUptime = seconds(name, value); break;
      case 'ready-timeout': o.thresholds.readyTimeout = seconds(name, value); break;
      case 'state-file': o.thresholds.stateFile = value; break;
      case 'warn-restarts':
      case 'crit-restarts': {
        const limit = parseRestartLimit(value);
        if (!limit) throw new Error(`${name} wants N/WINDOW (e.g. 5/600 or 5/10m), not ${JSON.stringify(value)}`);
        if (token.name === 'warn-restarts') o.thresholds.warnRestarts = limit;
        else o.thresholds.critRestarts = limit;
        break;
      }
    }
  }
  if (o.textfileDir !== undefined) {
    if (o.format !== 'prometheus' && (o.format !== defaultFormat || defaultFormat !== 'text')) throw new Error('--textfile writes the Prometheus format only');
    o.format = 'prometheus';
  }
  if (o.textfileName !== undefined && o.textfileDir === undefined) throw new Error('--textfile-name needs --textfile DIR');
  if (o.textfileName !== undefined && (!/^[^/]+\.prom$/.test(o.textfileName) || o.textfileName.startsWith('.'))) {
    throw new Error(`--textfile-name wants a file name ending in .prom (node_exporter reads only those), not ${JSON.stringify(o.textfileName)}`);
  }
  return o;
}
