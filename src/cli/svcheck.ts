// svcheck: thin entry point; the program is src/svstat/monitor.ts (the same as `svstat --check`).
import { finishClient } from '../protocol/client-result.ts';
import { monitor } from '../svstat/monitor.ts';

finishClient(monitor(process.argv.slice(2), 'svcheck'));
