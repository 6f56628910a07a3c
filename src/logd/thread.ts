// svscan's logger thread: the built-in loggers whose engine writes synchronously (a `log/multilog`
// script: src/multilog/ has no asynchronous form), in one worker thread started with the first of them,
// so that a slow or hung disk stalls logging, never supervision. relaxlogs' engine runs on the main
// thread instead (host.ts). Bundled alone as dist/svscan-logger.cjs (scripts/build.mjs); the host
// drives it with the messages of messages.ts.
import { parentPort } from 'node:worker_threads';
import { syncRunner } from '../protocol/io-steps.ts';
import { LoggerSet, STATS_INTERVAL_MS } from './loggers.ts';
import type { ToThread } from './messages.ts';

const port = parentPort!;
const set = new LoggerSet((message) => port.postMessage(message), syncRunner);
port.on('message', (m: ToThread) => set.handle(m));
setInterval(() => set.report(), STATS_INTERVAL_MS).unref();
