// Options of the monitoring forms of svstat, and of svcheck. Parsed by hand (no yargs in a hot
// client). Options may come before or after the directories; `--` ends them.
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

/** Parses monitoring options; throws Error with a message for bad usage. */
export function parseMonitorArgs(args: readonly string[], defaultFormat: Format): MonitorOptions {
  const o: MonitorOptions = { format: defaultFormat, fields: [], scan: false, thresholds: {}, dirs: [], help: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') { o.dirs.push(...args.slice(i + 1)); break; }
    if (!arg.startsWith('-') || arg === '-') { o.dirs.push(arg); continue; }
    if (arg.startsWith('-o') && !arg.startsWith('--')) {
      const list = arg.length > 2 ? arg.slice(2) : args[++i];
      if (list === undefined) throw new Error('-o wants a list of fields');
      for (const name of list.split(',')) {
        if (!isFieldName(name)) throw new Error(`unknown field ${JSON.stringify(name)}; fields: ${FIELD_NAMES.join(' ')}`);
        o.fields.push(name);
      }
      o.format = 'fields';
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg : arg.slice(0, eq);
    if (FLAGS.has(name) || name === '--check') {
      if (name === '--check') {
        const v = eq < 0 ? undefined : arg.slice(eq + 1);
        if (v !== undefined && v !== 'ready') throw new Error(`--check takes no value or =ready, not ${JSON.stringify(v)}`);
        o.format = v === 'ready' ? 'check-ready' : 'check';
      } else if (eq >= 0) throw new Error(`${name} takes no value`);
      else if (name === '--json') o.format = 'json';
      else if (name === '--scan') o.scan = true;
      else if (name === '--help') o.help = true;
      continue;
    }
    if (!WITH_VALUE.has(name)) throw new Error(`unknown option ${arg}`);
    const value = eq >= 0 ? arg.slice(eq + 1) : args[++i];
    if (value === undefined) throw new Error(`${name} wants a value`);
    switch (name) {
      case '--format':
        if (!FORMATS.includes(value)) throw new Error(`unknown format ${JSON.stringify(value)}; formats: ${FORMATS.join(' ')}`);
        o.format = value as Format;
        break;
      case '--textfile': o.textfileDir = value; break;
      case '--textfile-name': o.textfileName = value; break;
      case '--warn-uptime': o.thresholds.warnUptime = seconds(name, value); break;
      case '--crit-uptime': o.thresholds.critUptime = seconds(name, value); break;
      case '--ready-timeout': o.thresholds.readyTimeout = seconds(name, value); break;
      case '--state-file': o.thresholds.stateFile = value; break;
      case '--warn-restarts':
      case '--crit-restarts': {
        const limit = parseRestartLimit(value);
        if (!limit) throw new Error(`${name} wants N/WINDOW (e.g. 5/600 or 5/10m), not ${JSON.stringify(value)}`);
        if (name === '--warn-restarts') o.thresholds.warnRestarts = limit;
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
