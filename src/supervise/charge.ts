// Taking charge of a service directory as daemontools 0.76's supervise does at start-up, with no
// child process assumed: check DIR, note DIR/down, make DIR/supervise/ (0700), hold its lock (a real
// flock(2), so ours and daemontools' exclude each other), make the `control` and `ok` fifos, read
// `control`, hold `ok` open (what svok and svc look for), and write `status` (and svtools'
// `status.json`) atomically. Unlike daemontools, it also makes an existing supervise/ 0700 and its fifos
// 0600, owned by us, and follows no symlink planted as lock, control or ok (doc/security.md). The
// supervise worker (worker.ts) is one user; a logger hosted in svscan
// with no ./run of its own can be another.
//
// API:
//   const charge = await ServiceCharge.take({ dir, tryLock?, onLocked?, firstStatus?, onCommandBytes, onWarning });
//   charge.downFile          DIR/down existed when charge was taken
//   charge.filesTrusted      nobody else could write supervise/ when it was found (status.json is ours)
//   charge.writeStatus(status, extended?)   status, then status.json when `extended` is given
//   charge.release()         closes control, ok and the lock (idempotent)
// take() rejects with SuperviseStartError, whose message is daemontools' wording (supervise exits 111),
// having released whatever it had taken.
import { chmodSync, chownSync, closeSync, constants, lstatSync, mkdirSync, openSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { djbErrorText } from '../protocol/errors.ts';
import { writeExtendedStatus, type ExtendedStatus } from '../protocol/extended-status.ts';
import { holdFifoOpen, makeFifos, openFifoReader, type FifoReader } from '../protocol/fifo.ts';
import { tryFlock } from '../protocol/flock.ts';
import { servicePaths, writeStatusFile, type ServicePaths } from '../protocol/service-dir.ts';
import type { Status } from '../protocol/status.ts';

const STATUS_RETRY_MS = 1000;

/** A failure to take charge of a service directory; `message` is daemontools' wording, exit 111. */
export class SuperviseStartError extends Error {}

export interface ChargeOptions {
  /** The service directory, as the operator named it (used verbatim in messages). */
  dir: string;
  /** Takes the flock(2) on the open lock file (default: flock(1) on it); false when held elsewhere. */
  tryLock?: (fd: number) => Promise<boolean>;
  /**
   * Called once the lock is held, before anything in supervise/ is written: the moment to read what
   * an earlier holder left there (a child to adopt). `charge.downFile` is known and writeStatus
   * works from here on, even before take() resolves.
   */
  onLocked?: (charge: ServiceCharge) => void;
  /**
   * The status to write once `control` is open and before `ok` is, so that a client finding `ok`
   * open reads a current status; undefined writes none (the caller writes one right after).
   */
  firstStatus?: () => [Status, ExtendedStatus?] | undefined;
  /** Each chunk written to `control`, one character per byte (latin1), in order. */
  onCommandBytes: (bytes: string) => void;
  /** A reported failure that supervision survives (reading control, writing status), daemontools' wording. */
  onWarning: (text: string) => void;
}

export class ServiceCharge {
  readonly dir: string;
  readonly paths: ServicePaths;
  private readonly options: ChargeOptions;
  private downFileFound = false;
  private openToOthers = false;
  private lockFd = -1;
  private okFd = -1;
  private control: FifoReader | undefined;
  /** Rewrites the last status after a failed write (a full disk): what is on disk is stale meanwhile. */
  private statusRetry: NodeJS.Timeout | undefined;
  /** The last failure reported, so that the retries do not repeat it. */
  private statusFailure: string | undefined;

  private constructor(options: ChargeOptions) {
    this.options = options;
    this.dir = options.dir;
    this.paths = servicePaths(options.dir);
  }

  /** Takes charge of `options.dir`; rejects with SuperviseStartError (lock held, unusable directory). */
  static async take(options: ChargeOptions): Promise<ServiceCharge> {
    const charge = new ServiceCharge(options);
    try {
      await charge.acquire();
    } catch (err) {
      charge.release();
      throw err;
    }
    return charge;
  }

  /** DIR/down existed when charge was taken: daemontools' "do not start it". */
  get downFile(): boolean {
    return this.downFileFound;
  }

  /**
   * False when supervise/ was writable by another user when found: its status.json (a pid to adopt
   * and signal) may then be anyone's forgery, and is not to be trusted.
   */
  get filesTrusted(): boolean {
    return !this.openToOthers;
  }

  private fail(what: string, err: unknown): never {
    throw new SuperviseStartError(`${what}: ${djbErrorText(err)}`);
  }

  /** Refuses a symlink where supervise keeps `name`: following it would make root open another file. */
  private refuseSymlink(name: string): void {
    if (lstatSync(join(this.paths.superviseDir, name), { throwIfNoEntry: false })?.isSymbolicLink()) {
      throw new SuperviseStartError(`unable to acquire ${this.dir}/supervise/${name}: it is a symbolic link, which supervise never follows: remove it`);
    }
  }

  /**
   * Makes `path` owned by us with `mode` when it is not, and says so: daemontools creates supervise/
   * 0700 and its fifos 0600 but leaves an existing one as it finds it (an operator's chmod 777, an
   * old install), which lets others signal the service, read its log pipe or plant links here.
   */
  private tighten(path: string, mode: number, found: { uid: number; mode: number }): void {
    const uid = process.geteuid?.() ?? found.uid;
    if (found.uid === uid && (found.mode & 0o7777) === mode) return;
    const was = `mode ${(found.mode & 0o7777).toString(8).padStart(4, '0')}, owner uid ${found.uid}`;
    try {
      if (found.uid !== uid) chownSync(path, uid, -1);
      chmodSync(path, mode);
      this.options.onWarning(`${path} was ${was}: made ${mode.toString(8).padStart(4, '0')}, owner uid ${uid}`);
    } catch (err) {
      this.options.onWarning(`unable to make ${path} ${mode.toString(8).padStart(4, '0')}, owner uid ${uid} (it is ${was}): ${djbErrorText(err)}; fix it by hand`);
    }
  }

  private tightenDirectory(): void {
    const { superviseDir } = this.paths;
    // stat, not lstat: supervise/ may be an operator's symlink (into /run, say), as with daemontools.
    const found = statSync(superviseDir);
    this.openToOthers = found.uid !== (process.geteuid?.() ?? found.uid) || (found.mode & 0o022) !== 0;
    this.tighten(superviseDir, 0o700, found);
    if (this.openToOthers) this.options.onWarning(`${superviseDir} was writable by others: its status.json is not trusted, no process is adopted from it`);
  }

  /** Every fifo in supervise/: control, ok, and any other (svscan's log.fifo). */
  private tightenFifos(): void {
    const { superviseDir } = this.paths;
    for (const name of readdirSync(superviseDir)) {
      const path = join(superviseDir, name);
      // lstat: a symlink is never chmod-ed (that would change its target); supervise/ is ours by now.
      const found = lstatSync(path, { throwIfNoEntry: false });
      if (found?.isFIFO()) this.tighten(path, 0o600, found);
    }
  }

  private async acquire(): Promise<void> {
    const { dir, paths, options } = this;
    try {
      if (!statSync(dir).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    } catch (err) {
      this.fail(`unable to chdir to ${dir}`, err);
    }
    try {
      statSync(paths.down);
      this.downFileFound = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.fail(`unable to stat ${dir}/down`, err);
    }
    try {
      mkdirSync(paths.superviseDir, { mode: 0o700 });
    } catch {
      // As daemontools: an existing directory is fine, any other problem shows up at the lock.
    }
    this.refuseSymlink('lock');
    try {
      // O_NOFOLLOW: a link swapped in after the check above; O_NONBLOCK: a fifo planted as lock.
      const { O_WRONLY, O_APPEND, O_CREAT, O_NOFOLLOW, O_NONBLOCK } = constants;
      this.lockFd = openSync(paths.lock, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK, 0o600);
    } catch (err) {
      this.fail(`unable to acquire ${dir}/supervise/lock`, err);
    }
    if (!(await (options.tryLock ?? tryFlock)(this.lockFd))) {
      this.fail(`unable to acquire ${dir}/supervise/lock`, { code: 'EAGAIN' });
    }
    try {
      this.tightenDirectory();
    } catch (err) {
      this.fail(`unable to stat ${dir}/supervise`, err);
    }
    options.onLocked?.(this);
    this.refuseSymlink('control');
    this.refuseSymlink('ok');
    try {
      await makeFifos([paths.control, paths.ok]);
      this.tightenFifos();
    } catch (err) {
      const which = (err as { path?: string }).path === paths.ok ? 'ok' : 'control';
      this.fail(`unable to read ${dir}/supervise/${which}`, err);
    }
    try {
      this.control = openFifoReader(paths.control);
    } catch (err) {
      this.fail(`unable to read ${dir}/supervise/control`, err);
    }
    this.control.socket.on('data', (chunk: Buffer) => options.onCommandBytes(chunk.toString('latin1')));
    this.control.socket.on('error', (err) => options.onWarning(`unable to read ${dir}/supervise/control: ${djbErrorText(err)}`));
    const first = options.firstStatus?.();
    if (first) this.writeStatus(...first);
    try {
      this.okFd = holdFifoOpen(paths.ok);
    } catch (err) {
      this.fail(`unable to read ${dir}/supervise/ok`, err);
    }
  }

  /**
   * Writes `status` (and status.json when `extended` is given), each atomically; a failure is
   * reported through onWarning and supervision goes on, as in daemontools.
   */
  writeStatus(status: Status, extended?: ExtendedStatus): void {
    clearTimeout(this.statusRetry);
    this.statusRetry = undefined;
    try {
      writeStatusFile(this.paths, status);
      if (extended) writeExtendedStatus(this.paths.superviseDir, extended);
      this.statusFailure = undefined;
    } catch (err) {
      const { step, target } = err as { step?: string; target?: string };
      const verb = step === 'rename' ? 'unable to rename' : 'unable to write';
      const text = `${verb} ${target ?? this.paths.statusNew}: ${djbErrorText(err)}`;
      if (text !== this.statusFailure) this.options.onWarning(`${text}; retried every second`);
      this.statusFailure = text;
      // Else svstat would show a dead pid as up until the next state change.
      this.statusRetry = setTimeout(() => this.writeStatus(status, extended), STATUS_RETRY_MS);
    }
  }

  /** Closes control, ok and the lock: another supervisor may take charge. Safe to call twice. */
  release(): void {
    clearTimeout(this.statusRetry);
    this.statusRetry = undefined;
    this.control?.close();
    this.control = undefined;
    for (const fd of [this.okFd, this.lockFd]) if (fd >= 0) closeSync(fd);
    this.okFd = this.lockFd = -1;
  }
}
