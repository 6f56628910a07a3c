// node_exporter's textfile collector reads DIR/*.prom: write a temporary file in the same
// directory (named so that it does not match *.prom) and rename() it over the target, so the
// collector never reads a partial file.
import { closeSync, fsyncSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import { createFileExclusive } from '../protocol/service-dir.ts';

export const DEFAULT_TEXTFILE_NAME = 'svtools.prom';

export function writeTextfile(dir: string, name: string, text: string): string {
  if (!name.endsWith('.prom') || basename(name) !== name) throw new Error(`textfile name must be a plain file name ending in .prom: ${name}`);
  const target = join(dir, name);
  const tmp = join(dir, `.${name}.${process.pid}.tmp`);
  // Never through a link planted under the (guessable) temporary name: doc/security.md.
  const fd = createFileExclusive(tmp, 0o644);
  try {
    const buf = Buffer.from(text);
    for (let off = 0; off < buf.length;) off += writeSync(fd, buf, off);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    try { unlinkSync(tmp); } catch { /* gone */ }
    throw e;
  }
  closeSync(fd);
  try {
    renameSync(tmp, target);
  } catch (e) {
    try { unlinkSync(tmp); } catch { /* gone */ }
    throw e;
  }
  return target;
}
