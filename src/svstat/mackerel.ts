// Mackerel metric plugin output: `{name}\t{value}\t{epoch}` lines, the service last in each name so
// that one graph shows every service; with MACKEREL_AGENT_PLUGIN_META=1 the graph definitions
// instead. Unknown values are left out.
import type { Fields } from './fields.ts';
import { withLogs } from './prometheus.ts';

export const MACKEREL_PREFIX = 'supervise';

interface Graph {
  key: string;
  label: string;
  unit: 'integer' | 'seconds';
  value: (f: Fields) => number | boolean | null;
}

export const GRAPHS: readonly Graph[] = [
  { key: 'up', label: 'Service up', unit: 'integer', value: (f) => f.up },
  { key: 'ready', label: 'Service ready', unit: 'integer', value: (f) => f.ready },
  { key: 'uptime', label: 'Service uptime', unit: 'seconds', value: (f) => (f.up === null || f.updownfor === null ? null : f.up ? f.updownfor : 0) },
  { key: 'restarts', label: 'Service restarts', unit: 'integer', value: (f) => f.restarts },
  { key: 'backoff', label: 'Service restart backoff', unit: 'seconds', value: (f) => f.backoff },
  // svscan's built-in logger, on its S/log row.
  { key: 'log_bytes', label: 'Built-in logger bytes written', unit: 'integer', value: (f) => f.logger?.bytesWritten ?? null },
  { key: 'log_backpressure', label: 'Built-in logger back-pressure', unit: 'integer', value: (f) => f.logger?.backpressure ?? null },
];

/** Maps a service name into the characters Mackerel allows in a name component. */
export function mackerelName(service: string): string {
  return service.replace(/[^-a-zA-Z0-9_]/g, '_');
}

export function mackerelLines(all: readonly Fields[], epochSeconds: number): string[] {
  const lines: string[] = [];
  const services = withLogs(all);
  for (const g of GRAPHS) {
    for (const f of services) {
      const v = g.value(f);
      if (v === null) continue;
      lines.push(`${MACKEREL_PREFIX}.${g.key}.${mackerelName(f.service)}\t${typeof v === 'boolean' ? (v ? 1 : 0) : v}\t${epochSeconds}`);
    }
  }
  return lines;
}

export function mackerelMeta(): string[] {
  const graphs: Record<string, { label: string; unit: string; metrics: { name: string; label: string }[] }> = {};
  for (const g of GRAPHS) graphs[`${MACKEREL_PREFIX}.${g.key}`] = { label: g.label, unit: g.unit, metrics: [{ name: '*', label: '%1' }] };
  return ['# mackerel-agent-plugin', JSON.stringify({ graphs })];
}
