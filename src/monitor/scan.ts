// The services of a scan directory, as svscan sees them: every subdirectory (symlinks followed)
// whose name does not start with a dot; plain files are skipped. Sorted by name.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { djbErrorText } from '../protocol/errors.ts';

export function listServices(scanDir: string): { dirs: string[] } | { error: string } {
  let names: string[];
  try {
    names = readdirSync(scanDir);
  } catch (e) {
    return { error: `unable to read ${scanDir}: ${djbErrorText(e)}` };
  }
  const dirs: string[] = [];
  for (const name of names.sort()) {
    if (name.startsWith('.')) continue;
    const path = join(scanDir, name);
    try {
      if (statSync(path).isDirectory()) dirs.push(path);
    } catch { /* a dangling symlink: svscan skips it too */ }
  }
  return { dirs };
}
