// Prometheus text exposition (format 0.0.4), as node_exporter's textfile collector and a /metrics
// endpoint take it: HELP and TYPE once per metric, base units in names, `_total` on counters, no
// sample timestamps. A value that is not known (no status.json, supervise not running) is left out,
// which is Prometheus' convention for "absent", rather than given a made-up number.
import type { Fields } from './fields.ts';

interface Metric {
  name: string;
  type: 'gauge' | 'counter';
  help: string;
  value: (f: Fields) => number | boolean | null;
}

const ms = (v: number | null) => (v === null ? null : v / 1000);

export const METRICS: readonly Metric[] = [
  { name: 'supervise_service_supervised', type: 'gauge', help: '1 if a supervise process is running for the service.', value: (f) => f.supervised },
  { name: 'supervise_service_up', type: 'gauge', help: '1 if the service process is running.', value: (f) => f.up },
  { name: 'supervise_service_ready', type: 'gauge', help: '1 if the service is up and ready (ready = up for a service without notification-fd).', value: (f) => f.ready },
  { name: 'supervise_service_wanted_up', type: 'gauge', help: '1 if the service is wanted up (0 for down and for once).', value: (f) => f.wantedup },
  { name: 'supervise_service_normally_up', type: 'gauge', help: '1 if the service directory has no down file.', value: (f) => f.normallyup },
  { name: 'supervise_service_paused', type: 'gauge', help: '1 if the service process is stopped by svc -p.', value: (f) => f.paused },
  { name: 'supervise_service_state_change_timestamp_seconds', type: 'gauge', help: 'Unix time of the last start or exit of the service.', value: (f) => ms(f.sinceMs) },
  { name: 'supervise_service_ready_timestamp_seconds', type: 'gauge', help: 'Unix time the service became ready.', value: (f) => ms(f.readySinceMs) },
  { name: 'supervise_service_restarts_total', type: 'counter', help: 'Starts after the first one since this supervise took charge.', value: (f) => f.restarts },
  { name: 'supervise_service_last_exit_code', type: 'gauge', help: 'Exit code of the last exit of the service, -1 if it was killed by a signal.', value: (f) => f.exitcode },
  { name: 'supervise_service_last_exit_timestamp_seconds', type: 'gauge', help: 'Unix time of the last exit of the service.', value: (f) => ms(f.lastExit?.atMs ?? null) },
  { name: 'supervise_service_backoff_seconds', type: 'gauge', help: 'Seconds until the delayed next start of the service, 0 if none.', value: (f) => f.backoff },
  // svscan's built-in logger, on its S/log row.
  { name: 'supervise_logger_read_bytes_total', type: 'counter', help: 'Bytes the built-in logger has read from the service since it started.', value: (f) => f.logger?.bytesIn ?? null },
  { name: 'supervise_logger_written_bytes_total', type: 'counter', help: 'Bytes the built-in logger has written (labels included) since it started.', value: (f) => f.logger?.bytesWritten ?? null },
  { name: 'supervise_logger_lines_total', type: 'counter', help: 'Lines the built-in logger has read since it started.', value: (f) => f.logger?.lines ?? null },
  { name: 'supervise_logger_backpressure', type: 'gauge', help: '1 while the built-in logger cannot write (reading paused, retried; the service waits on its pipe).', value: (f) => f.logger?.backpressure ?? null },
  { name: 'supervise_logger_write_errors_total', type: 'counter', help: 'Failed writes of the built-in logger since it started.', value: (f) => f.logger?.writeErrors ?? null },
];

export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Each service followed by its log service (`NAME/log`), as they are all labelled `service`. */
export function withLogs(all: readonly Fields[]): Fields[] {
  const out: Fields[] = [];
  for (const f of all) {
    out.push(f);
    if (f.log) out.push(f.log);
  }
  return out;
}

export function prometheusText(all: readonly Fields[]): string {
  const services = withLogs(all);
  let text = '';
  for (const m of METRICS) {
    let samples = '';
    for (const f of services) {
      const v = m.value(f);
      if (v === null) continue;
      samples += `${m.name}{service="${escapeLabelValue(f.service)}"} ${typeof v === 'boolean' ? (v ? 1 : 0) : v}\n`;
    }
    if (samples) text += `# HELP ${m.name} ${m.help}\n# TYPE ${m.name} ${m.type}\n${samples}`;
  }
  return text;
}
