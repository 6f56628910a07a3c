// Zabbix: `svstat -o FIELD,...` gives bare item values (fields.ts); this is the low-level discovery
// listing of scan directories: a JSON array with one object per service (Zabbix 4.2+ form).
import { basename } from 'node:path';

export function zabbixLld(serviceDirs: readonly string[]): string {
  return JSON.stringify(serviceDirs.map((dir) => ({ '{#SERVICE}': basename(dir), '{#SERVICE.DIR}': dir })));
}
