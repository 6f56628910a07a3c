// One look at a scan directory, for svscan and for `svstat --scan`: every entry that names a service,
// and every entry that is a problem. Subdirectories (symlinks followed) whose name does not start with
// '.' are services, sorted by name; plain files are skipped; an entry that cannot be followed (dangling
// link, symlink loop, no permission) is reported. An unreadable scan directory throws.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { djbErrorText, errorCode } from './errors.ts';

export interface ServiceEntry {
  name: string;
  dir: string;
  /** Name plus device and inode: a directory renamed or replaced under the same name is a new service. */
  key: string;
}

export interface EntryProblem {
  name: string;
  path: string;
  code: string | undefined;
  text: string;
}

export interface Listing {
  services: ServiceEntry[];
  problems: EntryProblem[];
}

export function listServices(scanDir: string): Listing {
  const services: ServiceEntry[] = [];
  const problems: EntryProblem[] = [];
  for (const name of readdirSync(scanDir).sort()) {
    if (name.startsWith('.')) continue;
    const dir = join(scanDir, name);
    let st;
    try {
      st = statSync(dir);
    } catch (err) {
      problems.push({ name, path: dir, code: errorCode(err), text: djbErrorText(err) });
      continue;
    }
    if (!st.isDirectory()) continue;
    services.push({ name, dir, key: `${name}\0${st.dev}:${st.ino}` });
  }
  return { services, problems };
}

/** A hint for the operator per kind of problem. */
export function problemHint(code: string | undefined): string {
  switch (code) {
    case 'ELOOP': return 'fix or remove the looping symbolic link';
    case 'ENOENT': return 'a dangling symbolic link: fix or remove it';
    case 'EACCES': case 'EPERM': return 'svscan may not enter it: fix its permissions (it needs x on the path, rwx on the directory)';
    case 'ENOTDIR': return 'a path component is not a directory';
    default: return 'fix the entry or remove it; svscan retries at every scan';
  }
}
