// `mkdir -p` with a mode. Not fs.mkdirSync's { recursive: true }: where mkdir(2) says ENOENT for a
// directory whose parent exists (/proc), Node's recursive mkdir loops forever; this one throws.
import fs from 'node:fs';
import path from 'node:path';

export function makeDirectory(dir: string, mode: number): void {
  try {
    fs.mkdirSync(dir, { mode });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' && fs.statSync(dir).isDirectory()) return;
    const parent = path.dirname(dir);
    if (code !== 'ENOENT' || parent === dir) throw err;
    makeDirectory(parent, mode);
    fs.mkdirSync(dir, { mode });
  }
}
