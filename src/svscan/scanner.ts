// svscan's heart: one process, one supervise worker per service directory (and one per S/log, or
// the built-in logger when S/log has an options file instead of a run script: src/logd/), the
// log pipes between them, the scan itself (fs.watch for an immediate rescan, a timer as the safety
// net, SIGHUP/SIGALRM on demand) and the orderly stop. Every failure is per service: it is logged
// with the path and what to do, and the other services go on.
import { statSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SuperviseStartError, SuperviseWorker, type StdioForStart, type WorkerEvent } from '../supervise/worker.ts';
import { djbErrorText } from '../protocol/errors.ts';
import { BatchFlock } from './batch-flock.ts';
import { StartLimit } from './start-limit.ts';
import { listServices, problemHint, type ServiceEntry } from '../protocol/scan-dir.ts';
import { LogPipe } from './log-pipe.ts';
import { BuiltinLogger, LOGGER_SCRIPT, LoggerThread, MainThreadLoggers } from '../logd/host.ts';
import { logMode, type LogMode } from '../logd/options-file.ts';
import type { Logger } from './diagnostics.ts';

export interface ScannerOptions {
  /** The scan directory, as given (used in messages and paths). */
  dir: string;
  logger: Logger;
  /** Full rescan every this many ms (the safety net behind fs.watch). */
  rescanIntervalMs: number;
  /** On stop: KILL a service's process group this long after TERM. */
  killTimeoutMs: number;
  /** Watch the scan directory with fs.watch (inotify) for an immediate rescan. */
  watch: boolean;
  /** Pause after every start of a service (daemontools: 1000 ms). */
  startHoldMs: number;
  /** Service directories taken in charge at the same time. */
  startConcurrency?: number;
  env?: NodeJS.ProcessEnv;
  /** The multilog thread's script (default: dist/svscan-logger.cjs beside svscan's bundle). */
  loggerScript?: string;
  /** Told of every event of every worker (essential services: essential.ts; stdout-logs.ts). */
  onServiceEvent?: (event: ServiceEvent) => void;
  /** stdio of a start of S while S has no logger (--log-stdout: stdout-logs.ts); svscan's own if undefined. */
  unloggedStdio?: (name: string, dir: string) => StdioForStart | undefined;
}

export interface ServiceEvent {
  /** The service's name in the scan directory, and the supervised directory (S or S/log). */
  name: string;
  dir: string;
  which: 'main' | 'log';
  event: WorkerEvent;
  /** Its worker wants it up and svscan is not stopping it: an exit now is no operator's doing. */
  wantedUp: boolean;
  /** Brings this directory down at once, as svscan's stop does (an exit then starts nothing). */
  stopNow: () => void;
}

export interface ScannerStats {
  /** Service directories known (S, not S/log). */
  services: number;
  /** Of those, with a logger (S/log) under supervision. */
  loggers: number;
  /** Of those loggers, svscan's built-in ones (no process of their own). */
  builtinLoggers: number;
  /** Supervised directories (S and S/log) whose ./run is up, and down. */
  up: number;
  down: number;
  adopted: number;
  backingOff: number;
  /** Restarts counted since each worker began (status.json's `restarts`), summed. */
  restarts: number;
}

/** A run that exits within this long of its start counts as a quick exit (crash loop detection). */
const QUICK_EXIT_MS = 1000;
/** After this many quick exits in a row, only every CRASH_LOG_EVERY-th is logged. */
const CRASH_LOG_FIRST = 3;
const CRASH_LOG_EVERY = 60;
/** Longest wait for the loggers' disk work to end at stop (it may be stuck on a hung disk). */
const LOGGER_THREAD_EXIT_MS = 2000;
/** Longest wait for a logger to finish its input by itself at stop, before it is sent TERM. */
const LOGGER_EOF_GRACE_MS = 2000;

type Which = 'main' | 'log';

/** One supervised directory: S, or S/log. */
class Slot {
  worker: SuperviseWorker | BuiltinLogger | undefined;
  /** The logger is being replaced (log/run <-> built-in): its end is no `svc -x`. */
  switching = false;
  starting: Promise<void> | undefined;
  /** The last problem logged for this directory, so that a retry does not log it again. */
  problem: string | undefined;
  startedAt = 0;
  quickExits = 0;
  /** Starts of ./run seen (restarts log as `restarted`). */
  starts = 0;
  /**
   * After a failed start, not before this time (performance.now(): a wall-clock step back must not
   * put the retry off): a burst of scans does not retry at once.
   */
  nextTry = 0;
  constructor(readonly dir: string) {}

  get running(): boolean {
    return this.worker !== undefined && !this.worker.isFinished;
  }
}

interface Service {
  entry: ServiceEntry;
  main: Slot;
  log: Slot;
  pipe: LogPipe | undefined;
  ensuring: Promise<void> | undefined;
  removing: Promise<void> | undefined;
}

export class Scanner {
  private readonly options: ScannerOptions;
  private readonly log: Logger;
  private readonly services = new Map<string, Service>();
  /** Problems with scan directory entries, by name: logged once until they change. */
  private readonly entryProblems = new Map<string, string>();
  private readonly limiter: StartLimit;
  private readonly locks = new BatchFlock();
  private watcher: FSWatcher | undefined;
  private watchedIno = 0;
  private rescanTimer: NodeJS.Timeout | undefined;
  private soonTimer: NodeJS.Timeout | undefined;
  /** performance.now() at the last scan. */
  private lastScanAt = 0;
  private scanDirProblem: string | undefined;
  private stopping: Promise<void> | undefined;
  private loggerThread: LoggerThread | undefined;
  private mainThreadLoggers: MainThreadLoggers | undefined;

  constructor(options: ScannerOptions) {
    this.options = options;
    this.log = options.logger;
    this.limiter = new StartLimit(options.startConcurrency ?? 32);
  }

  /** Counts over every supervised directory (S and S/log), for svscan's SIGUSR1 stats line. */
  stats(): ScannerStats {
    const stats: ScannerStats = { services: this.services.size, loggers: 0, builtinLoggers: 0, up: 0, down: 0, adopted: 0, backingOff: 0, restarts: 0 };
    const now = Date.now();
    for (const service of this.services.values()) {
      if (service.log.running) stats.loggers++;
      if (service.log.running && service.log.worker instanceof BuiltinLogger) stats.builtinLoggers++;
      for (const slot of [service.main, service.log]) {
        if (!slot.running) continue;
        const ext = slot.worker!.extendedStatus;
        if (ext.pid) stats.up++;
        else stats.down++;
        if (ext.adopted) stats.adopted++;
        if (ext.backoffUntil !== null && ext.backoffUntil > now) stats.backingOff++;
        stats.restarts += ext.restarts;
      }
    }
    return stats;
  }

  start(): void {
    this.rescan('start');
    // After the first scan: whatever appears from now on is found by a later one.
    this.log.info({ dir: this.options.dir, services: this.services.size, rescanIntervalMs: this.options.rescanIntervalMs, killTimeoutMs: this.options.killTimeoutMs }, 'svscan started');
    this.rescanTimer = setInterval(() => this.rescan('timer'), this.options.rescanIntervalMs);
  }

  /** A rescan soon, coalescing bursts of events (a thousand mkdirs make a few scans, not a thousand). */
  rescanSoon(reason: string): void {
    if (this.soonTimer || this.stopping) return;
    const delay = Math.max(1, 3 - (performance.now() - this.lastScanAt));
    this.soonTimer = setTimeout(() => {
      this.soonTimer = undefined;
      this.rescan(reason);
    }, delay);
  }

  /** Lists the scan directory, starts what is new, stops what is gone. Never throws. */
  rescan(reason: string): void {
    if (this.stopping) return;
    this.lastScanAt = performance.now();
    this.ensureWatcher();
    let listing;
    try {
      listing = listServices(this.options.dir);
    } catch (err) {
      const text = `unable to read ${this.options.dir}: ${djbErrorText(err)}`;
      if (this.scanDirProblem !== text) {
        this.scanDirProblem = text;
        this.log.error({ dir: this.options.dir, reason }, `${text}; services keep running, svscan retries at every scan`);
      }
      return;
    }
    if (this.scanDirProblem) {
      this.scanDirProblem = undefined;
      this.log.info({ dir: this.options.dir }, 'scan directory readable again');
    }
    this.log.debug({ reason, entries: listing.services.length }, 'scan');

    const problemNames = new Set<string>();
    for (const p of listing.problems) {
      problemNames.add(p.name);
      const text = `${p.path}: ${p.text}`;
      if (this.entryProblems.get(p.name) !== text) {
        this.entryProblems.set(p.name, text);
        this.log.warn({ service: p.name, path: p.path, code: p.code }, `unable to follow ${text}: ${problemHint(p.code)}`);
      }
    }
    for (const name of this.entryProblems.keys()) if (!problemNames.has(name)) this.entryProblems.delete(name);

    const seen = new Set<string>();
    for (const entry of listing.services) {
      seen.add(entry.key);
      let service = this.services.get(entry.key);
      if (!service) {
        service = { entry, main: new Slot(entry.dir), log: new Slot(join(entry.dir, 'log')), pipe: undefined, ensuring: undefined, removing: undefined };
        this.services.set(entry.key, service);
      }
      this.ensure(service);
    }
    for (const [key, service] of this.services) {
      if (!seen.has(key) && !service.removing) this.remove(service);
    }
  }

  private ensureWatcher(): void {
    if (!this.options.watch) return;
    let ino = 0;
    try {
      ino = statSync(this.options.dir).ino;
    } catch {
      // Reported by the listing.
    }
    // fs.watch goes silent when the watched directory is replaced: watch the new one.
    if (this.watcher && ino === this.watchedIno) return;
    this.watcher?.close();
    this.watcher = undefined;
    if (!ino) return;
    try {
      const watcher = watch(this.options.dir, { persistent: true }, () => this.rescanSoon('watch'));
      watcher.on('error', (err) => {
        this.log.warn({ dir: this.options.dir, err: djbErrorText(err) }, 'watching the scan directory failed; periodic rescans go on');
        watcher.close();
        if (this.watcher === watcher) this.watcher = undefined;
      });
      this.watcher = watcher;
      this.watchedIno = ino;
    } catch (err) {
      this.log.warn({ dir: this.options.dir, err: djbErrorText(err) }, 'unable to watch the scan directory (inotify); new services are found by the periodic rescan');
    }
  }

  /** Makes sure S (and S/log with its pipe) are supervised; one pass at a time per service. */
  private ensure(service: Service): void {
    if (service.ensuring || service.removing || this.stopping) return;
    const mode = logMode(service.log.dir);
    const logFine = mode.kind === 'none' || (service.log.running && loggerMatches(service.log, mode));
    if (service.main.running && logFine) return;
    service.ensuring = this.ensureAsync(service, mode).finally(() => { service.ensuring = undefined; });
  }

  private async ensureAsync(service: Service, mode: LogMode): Promise<void> {
    if (mode.kind !== 'none') {
      if (!service.pipe) {
        try {
          service.pipe = await LogPipe.open(service.entry.dir);
        } catch (err) {
          this.problem(service, service.log, 'error', `unable to create the log pipe ${join(service.entry.dir, 'supervise', 'log.fifo')}: ${djbErrorText(err)}; ${service.entry.name} runs without its logger until this is fixed`);
        }
      }
      if (service.pipe && service.log.running && !loggerMatches(service.log, mode)) await this.switchLogger(service, mode);
      // The logger first, so that the service's first line has a reader.
      if (service.pipe) await this.startSlot(service, 'log', mode);
    }
    await this.startSlot(service, 'main');
    // Nobody of ours reads or writes the pipe (both taken by another supervise): do not hold it.
    if (service.pipe && !service.log.running && !service.main.running) {
      service.pipe.close();
      service.pipe = undefined;
    }
  }

  /**
   * log/run appeared or went (S/log has an options file instead): the current logger stops (at the
   * end of its line), the other starts on the same pipe, which svscan holds throughout: nothing is lost.
   */
  private async switchLogger(service: Service, mode: LogMode): Promise<void> {
    const slot = service.log;
    const to = mode.kind === 'builtin' ? `the built-in logger (${mode.file})` : `${slot.dir}/run`;
    this.log.info({ service: this.label(service, 'log'), to }, `switching the logger to ${to}`);
    slot.switching = true;
    try {
      await slot.worker?.stop({ killAfterMs: this.options.killTimeoutMs });
    } finally {
      slot.switching = false;
    }
  }

  private builtinLogger(service: Service, slot: Slot, mode: Extract<LogMode, { kind: 'builtin' }>): Promise<BuiltinLogger> {
    return BuiltinLogger.start({
      dir: slot.dir,
      fifo: service.pipe!.path,
      format: mode.format,
      optionsFile: mode.file,
      thread: mode.format === 'relaxlogs' ? (this.mainThreadLoggers ??= new MainThreadLoggers()) : this.multilogThread(),
      tryLock: (fd) => this.locks.tryLock(fd, missingFifos(slot.dir)),
      onEvent: (event) => this.onWorkerEvent(service, 'log', event),
    });
  }

  private multilogThread(): LoggerThread {
    if (!this.loggerThread) {
      if (!this.options.loggerScript && !LOGGER_SCRIPT) throw new Error('the built-in logger needs svscan\'s bundle (npm run build: dist/svscan-logger.cjs)');
      this.loggerThread = new LoggerThread(this.options.loggerScript ?? LOGGER_SCRIPT, (text) => this.log.error(text));
    }
    return this.loggerThread;
  }

  private startSlot(service: Service, which: Which, mode?: LogMode): Promise<void> {
    const slot = service[which];
    if (slot.running) return Promise.resolve();
    if (slot.starting) return slot.starting;
    if (performance.now() < slot.nextTry) return Promise.resolve();
    const stdio = which === 'log'
      ? () => service.pipe!.loggerStdio()
      // S writes into the pipe only while a logger of ours reads it (else 64 KiB in, S would block).
      : () => (service.pipe?.isOpen && service.log.running
        ? service.pipe.serviceStdio(service.log.worker instanceof BuiltinLogger)
        : this.options.unloggedStdio?.(service.entry.name, slot.dir) ?? { stdio: ['inherit', 'inherit', 'inherit'] as ['inherit', 'inherit', 'inherit'] });
    slot.starting = this.limiter.run(async () => {
      if (this.stopping || service.removing) return;
      try {
        const worker = mode?.kind === 'builtin' ? await this.builtinLogger(service, slot, mode) : await SuperviseWorker.start({
          dir: slot.dir,
          stdio,
          env: this.options.env,
          extendedStatus: true,
          adopt: true,
          startHoldMs: this.options.startHoldMs,
          tryLock: (fd) => this.locks.tryLock(fd, missingFifos(slot.dir)),
          onEvent: (event) => this.onWorkerEvent(service, which, event),
        });
        slot.worker = worker;
        if (slot.problem) this.log.info({ service: this.label(service, which) }, 'supervising again');
        slot.problem = undefined;
      } catch (err) {
        const text = err instanceof SuperviseStartError ? err.message : String((err as Error)?.message ?? err);
        const held = /supervise\/lock: temporary failure$/.test(text);
        slot.nextTry = performance.now() + Math.min(1000, this.options.rescanIntervalMs);
        this.problem(service, slot, 'warn', held
          ? `${slot.dir} is already supervised by another supervise (its supervise/lock is held): left alone; svscan checks again at every scan`
          : `${text}; svscan retries at every scan`);
      }
    }).finally(() => { slot.starting = undefined; });
    return slot.starting;
  }

  private label(service: Service, which: Which): string {
    return which === 'log' ? `${service.entry.name}/log` : service.entry.name;
  }

  private problem(service: Service, slot: Slot, level: 'warn' | 'error', text: string): void {
    if (slot.problem === text) return;
    slot.problem = text;
    this.log[level]({ service: this.label(service, slot === service.log ? 'log' : 'main'), path: slot.dir }, text);
  }

  private onWorkerEvent(service: Service, which: Which, event: WorkerEvent): void {
    const slot = service[which];
    const name = this.label(service, which);
    const wantedUp = slot.worker?.status.want === 'up' && !this.stopping && !service.removing;
    const stopNow = () => void slot.worker?.stop({ killAfterMs: this.options.killTimeoutMs });
    this.options.onServiceEvent?.({ name: service.entry.name, dir: slot.dir, which, event, wantedUp, stopNow });
    switch (event.type) {
      case 'start': {
        slot.startedAt = Date.now();
        slot.starts++;
        const quiet = slot.quickExits > CRASH_LOG_FIRST && slot.quickExits % CRASH_LOG_EVERY !== 0;
        this.log[quiet ? 'debug' : 'info']({ service: name, pid: event.pid }, slot.starts > 1 ? 'restarted' : 'started');
        if (slot.problem?.startsWith('unable to start')) {
          slot.problem = undefined;
        }
        break;
      }
      case 'adopt':
        slot.startedAt = Date.now();
        this.log.info({ service: name, pid: event.pid }, 'adopted a running service left by an earlier svscan');
        break;
      case 'exit': {
        const quick = event.at - slot.startedAt < QUICK_EXIT_MS;
        slot.quickExits = quick ? slot.quickExits + 1 : 0;
        const fields = { service: name, pid: event.pid, code: event.code, signal: event.signal };
        const msg = event.code === null && event.signal === null ? 'exited (adopted: status unknown)' : 'exited';
        if (slot.quickExits > CRASH_LOG_FIRST) {
          // A crash loop: the details at debug level, a summary now and then.
          this.log.debug(fields, msg);
          if (slot.quickExits % CRASH_LOG_EVERY === 0 || slot.quickExits === CRASH_LOG_FIRST + 1) {
            this.log.warn({ ...fields, quickExits: slot.quickExits }, `exits within ${QUICK_EXIT_MS} ms of every start (${slot.quickExits} times in a row): check ${slot.dir}/run; restarting after each start hold, logging every ${CRASH_LOG_EVERY}th exit`);
          }
        } else {
          this.log.info(fields, msg);
        }
        break;
      }
      case 'ready':
        this.log.info({ service: name, pid: event.pid }, 'ready');
        break;
      case 'backoff':
        this.log.warn({ service: name, delayMs: event.delayMs }, `crash loop: next start in ${Math.round(event.delayMs / 100) / 10} s (backoff; svc -u starts it now)`);
        break;
      case 'leftovers':
        this.log.warn({ service: name, pgid: event.pgid, count: event.count }, 'processes left in the service\'s group after ./run exited: signalled like ./run');
        break;
      case 'spawn-error':
        this.problem(service, slot, 'warn', `${event.text}: ${spawnHint(event.error)}; retried once a second`);
        break;
      case 'warning':
        if (!service.removing) this.log.warn({ service: name }, event.text);
        break;
      case 'finish':
        if (!service.removing && !this.stopping && !slot.switching) {
          this.log.info({ service: name }, 'supervision ended (svc -x); svscan starts it again at the next scan');
        }
        break;
    }
  }

  /** A service directory that disappeared: down (TERM, CONT, KILL after the timeout), then released. */
  private remove(service: Service): void {
    const name = service.entry.name;
    this.log.info({ service: name, path: service.entry.dir }, 'service directory gone: stopping it');
    service.removing = (async () => {
      await service.ensuring;
      await this.stopService(service);
      this.services.delete(service.entry.key);
      this.log.info({ service: name }, 'stopped and released');
    })();
  }

  private async stopService(service: Service): Promise<void> {
    await Promise.all([service.main.starting, service.log.starting]);
    await service.main.worker?.stop({ killAfterMs: this.options.killTimeoutMs });
    await this.stopLogger(service);
  }

  /** Loggers last: let go of the pipe so that the logger reads the last lines, gets EOF and exits. */
  private async stopLogger(service: Service): Promise<void> {
    service.pipe?.close();
    service.pipe = undefined;
    await service.log.worker?.stop({ killAfterMs: this.options.killTimeoutMs, termAfterMs: Math.min(LOGGER_EOF_GRACE_MS, this.options.killTimeoutMs) });
  }

  /** svscan's orderly stop: every service down, then every logger, then every pipe released. */
  stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    this.stopping = (async () => {
      if (this.rescanTimer) clearInterval(this.rescanTimer);
      if (this.soonTimer) clearTimeout(this.soonTimer);
      this.watcher?.close();
      this.watcher = undefined;
      const services = [...this.services.values()];
      this.log.info({ services: services.length, killTimeoutMs: this.options.killTimeoutMs }, 'stopping every service');
      await Promise.all(services.map((s) => s.ensuring));
      await Promise.all(services.map(async (s) => {
        if (s.removing) return;
        await Promise.all([s.main.starting, s.log.starting]);
        await s.main.worker?.stop({ killAfterMs: this.options.killTimeoutMs });
      }));
      await Promise.all(services.map((s) => s.removing ?? this.stopLogger(s)));
      const places = [this.mainThreadLoggers, this.loggerThread].filter((p) => p !== undefined);
      if ((await Promise.all(places.map((p) => p.terminate(LOGGER_THREAD_EXIT_MS)))).includes(false)) {
        // Every service is down already; only a kill ends a process whose thread waits on a hung disk.
        this.log.error(`the logger thread is stuck in a system call (a hung disk?) and would keep svscan from exiting: svscan kills itself (SIGKILL); whatever the built-in loggers had not written is lost`);
        process.kill(process.pid, 'SIGKILL');
      }
      this.log.info('every service is down');
    })();
    return this.stopping;
  }
}

/** Whether the logger running in `slot` is the kind `mode` asks for. */
function loggerMatches(slot: Slot, mode: LogMode): boolean {
  return (slot.worker instanceof BuiltinLogger) === (mode.kind === 'builtin');
}

/** supervise/control and supervise/ok of `dir` that do not exist yet. */
function missingFifos(dir: string): string[] {
  return ['control', 'ok'].map((f) => join(dir, 'supervise', f)).filter((p) => !statSync(p, { throwIfNoEntry: false }));
}

function spawnHint(error: Error): string {
  switch ((error as NodeJS.ErrnoException).code) {
    case 'ENOENT': return 'create an executable run script there';
    case 'EACCES': return 'make it executable (chmod +x) and its directory searchable';
    case 'ENOEXEC': return 'start it with a #! line';
    default: return 'check the run script';
  }
}
