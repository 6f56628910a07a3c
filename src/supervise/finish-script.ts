// ./finish, s6's optional script run after every exit of ./run with the exit's details: ./run is not
// restarted (and svc -x does not finish) until it has exited, or been killed after timeout-finish;
// exiting 125 means "do not restart" (the service is wanted down).
import type { ChildProcess } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { djbErrorText } from '../protocol/errors.ts';
import type { Escalations } from './escalation.ts';
import type { ServiceFiles } from './service-files.ts';
import { spawnInService } from './spawn.ts';
import type { ServiceState } from './status.ts';
import type { ChildExit, WorkerOptions } from './worker-api.ts';

/** s6's convention: a finish script exiting 125 means "do not restart" (the service is wanted down). */
const FINISH_STOP_CODE = 125;

export interface FinishHost {
  readonly options: WorkerOptions;
  readonly state: ServiceState;
  readonly escalations: Escalations;
  warn(text: string): void;
  /** ./finish is over (or could not start): restart or stay down, as after an exit without it. */
  afterFinish(files: ServiceFiles): void;
  drain(): void;
}

export class FinishScript {
  private readonly host: FinishHost;
  private child: ChildProcess | undefined;

  constructor(host: FinishHost) {
    this.host = host;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /**
   * Runs ./finish with s6's arguments (exit code or 256, signal number, directory, pgid),
   * time-limited by timeout-finish. Announces once its pid is known: nobody may see "down and
   * finished" before it.
   */
  run(exit: ChildExit, files: ServiceFiles): void {
    const { host } = this;
    const { state } = host;
    const dir = host.options.dir;
    const signalNumber = exit.signal ? (osConstants.signals as Record<string, number>)[exit.signal] ?? 0 : 0;
    const args = [String(exit.code ?? 256), String(signalNumber), dir, String(exit.pid)];
    let child: ChildProcess;
    try {
      child = spawnInService(host.options, './finish', args);
    } catch (err) {
      host.warn(`unable to start ${dir}/finish: ${djbErrorText(err)}`);
      state.announce();
      host.afterFinish(files);
      return;
    }
    if (child.pid === undefined) {
      state.announce();
      child.once('error', (err) => {
        host.warn(`unable to start ${dir}/finish: ${djbErrorText(err)}`);
        host.afterFinish(files);
        host.drain();
      });
      return;
    }
    const pid = child.pid;
    this.child = child;
    state.finishPid = pid;
    child.on('error', () => { /* a failed kill of an exiting finish: nothing to do */ });
    const cancelLimit = host.escalations.start({
      signal: (sig) => {
        try { process.kill(-pid, sig); } catch { /* gone */ }
      },
      killAfterMs: files.timeoutFinishMs > 0 ? files.timeoutFinishMs : undefined,
      killDue: () => {
        host.warn(`${dir}/finish still running after ${files.timeoutFinishMs} ms (timeout-finish): killing it`);
        return true;
      },
    });
    child.once('exit', (code) => {
      cancelLimit?.();
      this.child = undefined;
      state.finishPid = 0;
      if (code === FINISH_STOP_CODE && state.want !== 'down') {
        state.want = 'down';
        host.warn(`${dir}/finish exited ${FINISH_STOP_CODE}: not restarting it (svc -u starts it again)`);
      }
      state.announce();
      host.afterFinish(files);
      host.drain();
    });
    state.announce();
  }
}
