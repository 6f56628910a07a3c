// Go sabo's work-dir protocol (kazeburo/sabo 0.1.0), so that svtools and Go sabo processes sharing a
// directory split one limit:
//   create `_sabo_<key>_<pid>_<id>.lock`, flock(LOCK_EX) it, rename it to `sabo_<key>_<pid>_<id>.lock`
//   (peers never see an unlocked file of a live process); every process counts the `sabo_<key>_`
//   files that are locked, deletes those it can lock itself (their owner is dead), and takes
//   key/count. <key> is the aggregate rate in bytes/s unless --share-key says otherwise; weights ride
//   in <id> (`...-w3.lock`) and Go sabo, which ignores them, counts such a file once.
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readdirSync, renameSync, statSync, unlinkSync, fstatSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { djbErrorText } from '../protocol/errors.ts';
import { tryFlock, tryFlockSync } from '../protocol/flock.ts';
import { makeDirectory } from '../protocol/make-directory.ts';
import { lockKey, readFlockedFiles } from './proc-locks.ts';

/** How long a `_sabo_` file may stay unlocked before it counts as left by a process killed mid-start. */
const STALE_TEMP_MS = 10_000;

export interface Census {
  /** Live lock files, this process's own included. */
  peers: number;
  /** Sum of their weights (Go sabo's files weigh 1). */
  totalWeight: number;
  /** Dead peers' files removed by this census. */
  removed: number;
}

export function weightOf(name: string): number {
  const m = /-w(\d+)\.lock$/.exec(name);
  return m ? Math.max(1, Number(m[1])) : 1;
}

export class ShareGroup {
  private fd = -1;
  private name = '';
  private watcher: FSWatcher | undefined;
  private readonly prefix: string;

  /** Joins the group: throws (setup failure) when the directory or the lock cannot be used. */
  constructor(readonly dir: string, readonly key: string, readonly weight: number) {
    this.prefix = `sabo_${key}_`;
    try {
      makeDirectory(dir, 0o755); // as `mkdir -p`, so that a script's first run needs no setup step
    } catch (err) {
      throw new Error(`unable to create work dir ${dir}: ${djbErrorText(err)}; create it or give another --work-dir`);
    }
    try {
      readdirSync(dir); // sabo: an unreadable work dir is fatal at start
      this.publish();
    } catch (err) {
      throw new Error(`unable to take part in work dir ${dir}: ${djbErrorText(err)}; free it or give another --work-dir`);
    }
  }

  get lockPath(): string {
    return join(this.dir, this.name);
  }

  /** Creates, locks and renames this process's lock file. */
  private publish(): void {
    const id = randomBytes(6).toString('hex') + (this.weight === 1 ? '' : `-w${this.weight}`);
    const name = `${this.prefix}${process.pid}_${id}.lock`;
    const temp = join(this.dir, `_${name}`);
    const fd = openSync(temp, 'wx', 0o600);
    try {
      if (!tryFlockSync(fd)) throw new Error(`unable to lock ${temp}: locked by another process`);
      renameSync(temp, join(this.dir, name));
    } catch (err) {
      closeSync(fd);
      try { unlinkSync(temp); } catch { /* already gone */ }
      throw err;
    }
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = fd;
    this.name = name;
  }

  /** Calls `onChange` soon after any file in the directory is created, renamed or removed. */
  watch(onChange: () => void): void {
    try {
      this.watcher = watch(this.dir, { persistent: false }, onChange);
      this.watcher.on('error', () => { /* the periodic census still runs */ });
    } catch { /* inotify unavailable: the periodic census is enough */ }
  }

  /** Counts live peers, removing dead peers' files; never throws. */
  async census(): Promise<Census> {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return { peers: 1, totalWeight: this.weight, removed: 0 };
    }
    if (this.fd >= 0 && !names.includes(this.name)) {
      // Someone removed our file: make ourselves visible again.
      try { this.publish(); names.push(this.name); } catch { /* counted below anyway */ }
    }
    const locked = readFlockedFiles();
    const entries: { name: string; key: string; mtimeMs: number }[] = [];
    for (const name of names) {
      if (!name.startsWith(this.prefix) && !name.startsWith(`_${this.prefix}`)) continue;
      try {
        const st = statSync(join(this.dir, name), { bigint: true });
        if (st.isFile()) entries.push({ name, key: lockKey(st.dev, st.ino), mtimeMs: Number(st.mtimeMs) });
      } catch { /* removed meanwhile */ }
    }
    // /proc/locks is trusted only if it shows our own lock (it may be missing, or number devices
    // differently on some filesystems); otherwise every file is probed with flock(1).
    const own = entries.find((e) => e.name === this.name);
    const trusted = locked !== undefined && own !== undefined && locked.has(own.key);
    let peers = 0;
    let totalWeight = 0;
    let removed = 0;
    await Promise.all(entries.map(async (e) => {
      const temp = e.name.startsWith('_');
      if (e.name === this.name) {
        peers++; totalWeight += this.weight;
        return;
      }
      if (trusted && locked.has(e.key)) {
        if (!temp) { peers++; totalWeight += weightOf(e.name); }
        return;
      }
      // A `_sabo_` file is unlocked for a moment during a peer's start: leave young ones alone.
      if (temp && Date.now() - e.mtimeMs < STALE_TEMP_MS) return;
      const verdict = await this.removeIfDead(e.name);
      if (verdict === 'removed') removed++;
      else if (verdict === 'alive' && !temp) { peers++; totalWeight += weightOf(e.name); }
    }));
    if (own === undefined) { peers++; totalWeight += this.weight; }
    return { peers, totalWeight, removed };
  }

  /** Go sabo's rule: a file we can lock has no live owner; delete it while holding its lock. */
  private async removeIfDead(name: string): Promise<'removed' | 'alive' | 'gone'> {
    const path = join(this.dir, name);
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch {
      return 'gone';
    }
    try {
      if (!(await tryFlock(fd))) return 'alive';
      // Unlink only the file we locked, not a newer one that took its name.
      const st = statSync(path, { bigint: true, throwIfNoEntry: false });
      if (!st || st.ino !== fstatSync(fd, { bigint: true }).ino) return 'gone';
      unlinkSync(path);
      return 'removed';
    } catch {
      return 'gone';
    } finally {
      closeSync(fd);
    }
  }

  /** Leaves the group: removes the lock file, then releases the lock. Synchronous, for exit paths. */
  leave(): void {
    this.watcher?.close();
    this.watcher = undefined;
    if (this.fd < 0) return;
    try { unlinkSync(this.lockPath); } catch { /* already removed */ }
    try { closeSync(this.fd); } catch { /* already closed */ }
    this.fd = -1;
  }
}
