// sabo / throttle. It parses the command line, joins the work-dir group, starts the copy (./copy.ts, on
// this thread: nothing in it blocks), keeps its share up to date (census every refresh interval and
// whenever the directory changes), reports statistics, and turns every way of ending into cleanup and
// an honest exit status.
import { unlinkSync, writeSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { isatty } from 'node:tty';
import { parseCommandLine, UsageError, type Options, type ProgramName } from './args.ts';
import { listenFifo, readControlFile, tellFifo } from './control.ts';
import { startCopy, type Copy, type CopyOutcome } from './copy.ts';
import { openOutput } from './output.ts';
import { ShareGroup, type Census } from './share-group.ts';
import { progressLine, RateMeter, statsLine } from './stats.ts';
import { writeFileAtomic } from '../protocol/service-dir.ts';
import { VERSION } from '../protocol/version.ts';
import { writeAllSync } from '../protocol/write-all.ts';

export const EXIT = { ok: 0, usage: 1, setup: 2, read: 3, write: 4, epipe: 128 + 13 } as const;

/** How long a signalled process may take to write out data it has already read. */
const FLUSH_GRACE_MS = 500;

function say(text: string): void {
  try { writeSync(2, text); } catch { /* stderr gone: nothing to tell */ }
}

/**
 * Written aside and renamed into place, so that a reader never sees an empty pidfile; the aside file
 * is created afresh, never through a link planted under its guessable name (doc/security.md).
 */
function writePidfile(path: string): void {
  const temp = `${path}.${process.pid}.tmp`;
  try {
    writeFileAtomic(temp, path, `${process.pid}\n`);
  } catch (err) {
    try { unlinkSync(temp); } catch { /* never created */ }
    throw new Error(`unable to write pidfile ${path}: ${(err as Error).message}`);
  }
}

export async function main(argv: string[], name: ProgramName): Promise<void> {
  let command;
  try {
    command = parseCommandLine(argv, name);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    say(`${name}: ${err.message}\n`);
    process.exit(EXIT.usage);
  }
  switch (command.action) {
    case 'help':
      return writeAllSync(1, Buffer.from(command.text));
    case 'version':
      return writeAllSync(1, Buffer.from(`${name} (svtools) ${VERSION}\n`));
    case 'tell':
      try {
        tellFifo(command.fifo, { rate: command.rate, verbose: command.verbose });
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        say(`${name}: ${command.fifo}: ${e.code === 'ENXIO' ? 'no throttle is listening' : e.message}\n`);
        process.exit(EXIT.setup);
      }
      return process.exit(EXIT.ok);
    case 'run':
      return run(name, command.options);
  }
}

function run(name: ProgramName, o: Options): void {
  let copy: Copy | undefined;
  let share = 0;
  const meter = new RateMeter();
  const timers: NodeJS.Timeout[] = [];
  let group: ShareGroup | undefined;
  let fifo: { close(): void } | undefined;
  let aggregate = o.rate;
  let census: Census = { peers: 1, totalWeight: o.weight, removed: 0 };
  let verbose = o.verbose;
  let finishing = false;
  let signalled: NodeJS.Signals | undefined;
  const showProgress = o.progress && isatty(2);

  const snapshot = () => ({ bytes: copy?.bytesOut ?? 0, read: copy?.bytesIn ?? 0, share, aggregate, peers: census.peers });
  const printStats = () => say(statsLine(name, snapshot(), performance.now() - meter.started));

  const finish = (code: number, signal?: NodeJS.Signals) => {
    if (finishing) return;
    finishing = true;
    for (const t of timers) clearInterval(t);
    group?.leave();
    if (fifo) {
      fifo.close();
      try { unlinkSync(o.listenFifo!); } catch { /* already gone */ } // as throttle does
    }
    if (o.pidfile) try { unlinkSync(o.pidfile); } catch { /* already gone */ }
    if (showProgress) say('\n');
    if (verbose) printStats();
    if (signal) {
      // Die of the signal itself, as cat(1) would: the shell reports 128+N.
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
      setTimeout(() => process.exit(code), 1000).unref();
      return;
    }
    process.exit(code);
  };

  const onSignal = (signal: NodeJS.Signals) => {
    const code = 128 + osConstants.signals[signal];
    const second = signalled !== undefined;
    signalled = signal;
    if (second || !copy) return finish(code, signal);
    setTimeout(() => finish(code, signal), FLUSH_GRACE_MS).unref();
    copy.abort(); // writes out what was read, then reports (at once when it waits for input)
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('SIGQUIT', onSignal);
  process.on('SIGUSR1', printStats);

  const apply = () => {
    let next = (aggregate * o.weight) / census.totalWeight;
    if (o.minBandwidth !== undefined) next = Math.max(next, o.minBandwidth);
    if (next !== share) {
      if (verbose && share) say(`${name}: share now ${Math.round(next)} B/s (${census.peers} ${census.peers === 1 ? 'process' : 'processes'})\n`);
      share = next;
      copy?.setRate(share);
    }
  };
  const reloadControl = () => {
    if (!o.controlFile) return;
    try {
      aggregate = readControlFile(o.controlFile, o.units) ?? o.rate;
    } catch (err) {
      say(`${name}: ${o.controlFile}: ${(err as Error).message}; keeping ${aggregate} B/s\n`);
    }
  };
  const takeCensus = async (g: ShareGroup) => {
    census = await g.census();
    if (verbose && census.removed) say(`${name}: removed ${census.removed} dead peer lock file(s)\n`);
  };
  let counting = false;
  let again = false;
  const recount = async () => {
    if (!group || finishing) return apply();
    if (counting) { again = true; return; }
    counting = true;
    try {
      do {
        again = false;
        await takeCensus(group);
        if (!finishing) apply();
      } while (again);
    } finally {
      counting = false;
    }
  };
  process.on('SIGHUP', () => { reloadControl(); void recount(); });

  try {
    if (o.pidfile) writePidfile(o.pidfile);
    if (o.workDir) group = new ShareGroup(o.workDir, o.shareKey, o.weight);
  } catch (err) {
    say(`${name}: fatal: ${(err as Error).message}\n`);
    return finish(EXIT.setup);
  }
  reloadControl();

  void (async () => {
    // Watch first, so that no peer joining during the first census goes unnoticed; the first census
    // comes before the first byte, so a joiner never starts at the whole rate.
    group?.watch(() => void recount());
    if (group) await takeCensus(group);
    apply();
    if (finishing) return;
    const onEnd = (outcome: CopyOutcome) => {
      const signalCode = signalled ? 128 + osConstants.signals[signalled] : 0;
      switch (outcome.kind) {
        case 'eof':
        case 'stopped':
          return finish(signalled ? signalCode : EXIT.ok, signalled);
        case 'aborted':
          return finish(signalCode, signalled);
        case 'epipe':
          return finish(EXIT.epipe);
        case 'read-error':
          say(`${name}: read error: ${outcome.message}\n`);
          return finish(signalled ? signalCode : EXIT.read, signalled);
        case 'write-error':
          say(`${name}: write error: ${outcome.message}\n`);
          return finish(signalled ? signalCode : EXIT.write, signalled);
      }
    };
    copy = startCopy(o, share, openOutput(1), onEnd);

    timers.push(setInterval(() => { reloadControl(); void recount(); }, o.refreshMs));
    if (o.statsIntervalMs) timers.push(setInterval(printStats, o.statsIntervalMs));
    if (showProgress) {
      timers.push(setInterval(() => {
        const s = snapshot();
        say(`\r${progressLine(s, meter.rate(s.bytes), performance.now() - meter.started, o.size)}\x1b[K`);
      }, 250));
    }
    if (o.listenFifo) {
      try {
        fifo = await listenFifo(o.listenFifo, (m) => {
          if (m.verbose !== undefined) verbose = m.verbose;
          if (m.rate !== undefined) { aggregate = m.rate; apply(); }
        });
      } catch (err) {
        say(`${name}: fatal: ${o.listenFifo}: ${(err as Error).message}\n`);
        finish(EXIT.setup);
      }
    }
  })().catch((err: Error) => {
    say(`${name}: fatal: ${err.message}\n`);
    finish(EXIT.setup);
  });
}
