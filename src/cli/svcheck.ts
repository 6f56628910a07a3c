// svcheck: thin entry point; the program is src/monitor/main.ts (the same as `svstat --check`).
import { finishClient } from '../control/result.ts';
import { monitor } from '../monitor/main.ts';
import { svstatLine } from '../control/svstat.ts';

finishClient(monitor(process.argv.slice(2), 'svcheck', (dir) => svstatLine(dir)));
