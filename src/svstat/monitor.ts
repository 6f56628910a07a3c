// The monitoring forms of svstat, and svcheck: collect each service once, then print one format.
import { djbErrorText } from '../protocol/errors.ts';
import { listServices } from '../protocol/scan-dir.ts';
import { readServiceState } from '../protocol/service-state.ts';
import type { ClientResult } from '../protocol/client-result.ts';
import { runCheck, runReadyCheck, UNKNOWN } from './check.ts';
import { svstatLine } from './line.ts';
import { fieldsOf, fieldValue, type Fields } from './fields.ts';
import { jsonLines } from './json.ts';
import { mackerelLines, mackerelMeta } from './mackerel.ts';
import { parseMonitorArgs, SVCHECK_USAGE, SVSTAT_USAGE, type Format, type MonitorOptions } from './monitor-args.ts';
import { prometheusText } from './prometheus.ts';
import { DEFAULT_TEXTFILE_NAME, writeTextfile } from './textfile.ts';
import { zabbixLld } from './zabbix.ts';
import { EXIT_FAILURE, EXIT_USAGE } from '../protocol/exit-codes.ts';

/** Usage errors: 100 as daemontools' clients, 3 (UNKNOWN) for the check forms. */
const usageExit = (format: Format) => (format === 'check' ? UNKNOWN : format === 'check-ready' ? 1 : EXIT_USAGE);

/** Runs svstat's monitoring forms or svcheck; `--format=text` gives daemontools' lines (./line.ts). */
export function monitor(
  args: readonly string[],
  program: 'svstat' | 'svcheck',
  env: NodeJS.ProcessEnv = process.env,
  nowMs = Date.now(),
): ClientResult {
  const defaultFormat: Format = program === 'svcheck' ? 'check' : 'text';
  const usage = program === 'svcheck' ? SVCHECK_USAGE : SVSTAT_USAGE;
  let o: MonitorOptions;
  try {
    o = parseMonitorArgs(args, defaultFormat);
  } catch (e) {
    return { out: [], err: [`${program}: ${(e as Error).message}`, ...usage], code: usageExit(defaultFormat) };
  }
  if (o.help) return { out: usage, err: [], code: 0 };
  if (o.format === 'fields' && o.fields.length === 0) return { out: [], err: [`${program}: -o wants a list of fields`], code: EXIT_USAGE };

  const err: string[] = [];
  let dirs = o.dirs;
  if (o.scan || o.format === 'zabbix-lld') {
    dirs = [];
    for (const scanDir of o.dirs) {
      try {
        dirs.push(...listServices(scanDir).services.map((s) => s.dir));
      } catch (e) {
        err.push(`${program}: warning: unable to read ${scanDir}: ${djbErrorText(e)}`);
      }
    }
    if (o.format === 'zabbix-lld') return { out: [zabbixLld(dirs)], err, code: err.length ? EXIT_FAILURE : 0 };
  }

  if (o.format === 'text') return { out: dirs.map((dir) => svstatLine(dir)), err, code: 0 };
  const all: Fields[] = dirs.map((dir) => fieldsOf(readServiceState(dir), nowMs));
  switch (o.format) {
    case 'json':
      return { out: jsonLines(all), err, code: 0 };
    case 'fields':
      // No warnings: zabbix_agentd appends a command's stderr to its value (observed with 6.0), which
      // would turn `0` into a string. `-o state` or --json tell why a value is empty.
      return { out: all.map((f) => o.fields.map((name) => fieldValue(f, name)).join(' ')), err, code: 0 };
    case 'mackerel':
      if (env.MACKEREL_AGENT_PLUGIN_META === '1') return { out: mackerelMeta(), err, code: 0 };
      return { out: mackerelLines(all, Math.floor(nowMs / 1000)), err, code: 0 };
    case 'prometheus': {
      const text = prometheusText(all);
      if (o.textfileDir === undefined) return { out: text ? [text.slice(0, -1)] : [], err, code: 0 };
      try {
        writeTextfile(o.textfileDir, o.textfileName ?? DEFAULT_TEXTFILE_NAME, text);
      } catch (e) {
        err.push(`${program}: fatal: unable to write textfile in ${o.textfileDir}: ${(e as Error).message}`);
        return { out: [], err, code: EXIT_FAILURE };
      }
      return { out: [], err, code: 0 };
    }
    case 'check': {
      const r = runCheck(all, o.thresholds, nowMs);
      return { out: [r.line], err, code: r.code };
    }
    case 'check-ready': {
      const r = runReadyCheck(all);
      return { out: [r.line], err, code: r.code };
    }
  }
}
