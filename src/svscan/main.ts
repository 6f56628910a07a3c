// svscan [DIR]: supervise every service directory in DIR from one process (doc/svscan.md): its own
// log, the scanner, signals (orderly stop, rescans, stats, hand-over), PID 1's reaping.
// Exit codes: 0 after an orderly stop (SIGTERM/SIGINT), an essential service's code, 100 usage error,
// 111 DIR unusable at start-up or an internal fatal error (services are left running; a new svscan
// adopts them).
import { readdirSync, statSync, writeSync } from 'node:fs';
import { djbErrorText } from '../protocol/errors.ts';
import { EXIT_FAILURE } from '../protocol/exit-codes.ts';
import { parseSvscanArgs } from './args.ts';
import { createLogger } from './diagnostics.ts';
import { essentialExitCode, keepDown } from './essential.ts';
import type { OwnLog } from './own-log.ts';
import { OrphanReaper } from './reaper.ts';
import { Scanner } from './scanner.ts';
import { StdoutLogs } from './stdout-logs.ts';

export function runSvscan(args: string[]): void {
  const { dir, rescanIntervalMs, killTimeoutMs, startHoldMs, startConcurrency, format, logLevel, logDir, watch, subreaper, logStdout } = parseSvscanArgs(args);
  const stderrLog = createLogger(format, 2, logLevel);
  // --log-dir: every message into DIR's rotated files (svscan/own-log.ts, loaded only then), stderr
  // until it is open and for its own problems. Before anything else, so that the rest lands there.
  let ownLog: OwnLog | undefined;
  const log = logDir === undefined ? stderrLog : createLogger('json', 2, logLevel, {
    write: (line) => {
      if (ownLog) ownLog.write(line);
      else try { writeSync(2, line); } catch { /* stderr closed */ }
    },
  });
  const ownLogOpen = logDir === undefined ? Promise.resolve() : import('./own-log.ts').then(({ OwnLog }) => {
    try {
      ownLog = new OwnLog(logDir, stderrLog);
    } catch (err) {
      stderrLog.fatal({ dir: logDir }, `unable to log to ${logDir}: ${(err as Error).message}`);
      process.exit(EXIT_FAILURE);
    }
    process.on('exit', () => ownLog!.close());
  });

  function checkScanDir(): void {
    try {
      if (!statSync(dir).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    } catch (err) {
      log.fatal({ dir }, `unable to chdir to ${dir}: ${djbErrorText(err)}`);
      process.exit(EXIT_FAILURE);
    }
  }

  let reaper: OrphanReaper | undefined;
  const stdoutLogs = logStdout ? new StdoutLogs(log) : undefined;
  const scanner = new Scanner({
    dir, logger: log, rescanIntervalMs, killTimeoutMs, watch, startHoldMs, startConcurrency,
    unloggedStdio: stdoutLogs && ((name, serviceDir) => stdoutLogs.stdioFor(name, serviceDir)),
    onServiceEvent: (e) => {
      stdoutLogs?.onServiceEvent(e);
      const code = essentialExitCode(e);
      if (code === undefined) return;
      log.warn({ service: e.name, code }, `essential service ${e.name} died (${e.dir}/essential): stopping every service, svscan exits ${code}`);
      shutdown('essential', code);
      keepDown(e);
    },
  });

  let shuttingDown = false;
  /** The orderly stop; the first cause decides the exit code (a TERM during it changes nothing). */
  function shutdown(cause: NodeJS.Signals | 'essential', exitCode = 0): void {
    if (shuttingDown) return;
    shuttingDown = true;
    if (cause !== 'essential') log.info({ signal: cause }, 'stopping: services first, then their loggers');
    scanner.stop().then(async () => {
      await reaper?.endLeftovers(killTimeoutMs);
      await stdoutLogs?.close();
      log.info({ exitCode }, 'svscan exits');
      process.exit(exitCode);
    }, (err: unknown) => {
      log.fatal({ err: String(err) }, 'stop failed');
      process.exit(EXIT_FAILURE);
    });
  }
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  // What the supervisor itself costs, on demand (relaxlogs answers USR1 the same way): memory, fds, and
  // its CPU time as a share of one core since the previous SIGUSR1 (since start the first time).
  let lastCpu = { at: Date.now() - process.uptime() * 1000, usage: { user: 0, system: 0 } };
  process.on('SIGUSR1', () => {
    const now = { at: Date.now(), usage: process.cpuUsage() };
    const cpuMs = (now.usage.user + now.usage.system - lastCpu.usage.user - lastCpu.usage.system) / 1000;
    const cpuShare = cpuMs / Math.max(1, now.at - lastCpu.at);
    lastCpu = now;
    const memory = process.memoryUsage();
    let openFds: number | null;
    try {
      openFds = readdirSync('/proc/self/fd').length - 1; // less the one reading the listing
    } catch {
      openFds = null;
    }
    log.info({ ...scanner.stats(), rssBytes: memory.rss, heapUsedBytes: memory.heapUsed, openFds, cpuShare: Number(cpuShare.toFixed(4)) }, 'stats');
  });
  // Upgrade or hand-over (doc/svscan.md, Signals): exit now, every service and logger left running in
  // its own session; the next svscan adopts them. Built-in loggers (src/logd/) end with svscan.
  process.on('SIGQUIT', () => {
    log.info({ signal: 'SIGQUIT' }, 'exiting now and leaving every service running: the next svscan adopts them');
    process.exit(0);
  });
  process.on('SIGHUP', () => scanner.rescan('SIGHUP'));
  process.on('SIGALRM', () => scanner.rescan('SIGALRM'));
  process.on('uncaughtException', (err) => {
    // Services run in their own sessions and survive this; a new svscan adopts them.
    log.fatal({ err: err.stack ?? String(err) }, 'internal error: svscan exits, services keep running; start svscan again to adopt them');
    process.exit(EXIT_FAILURE);
  });

  // As PID 1 (a container) or a subreaper, orphans are ours to reap (svscan/reaper.ts); before the
  // first service starts, so that none of its orphans is missed.
  ownLogOpen.then(() => {
    checkScanDir();
    return OrphanReaper.start(log, subreaper);
  }).then((r) => {
    reaper = r;
    scanner.start();
  }, (err: unknown) => {
    // Services still run; only orphans stay zombies. Not fatal: a container would restart in a loop.
    log.error({ err: String(err) }, `unable to reap orphans (koffi, libc.so.6): ${(err as Error)?.message ?? err}; orphans of services stay zombies: reinstall svtools with its dependencies, or run svscan under tini`);
    scanner.start();
  });
}
