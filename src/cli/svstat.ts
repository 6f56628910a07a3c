// svstat: thin entry point; the program is src/control/svstat.ts.
import { finishClient } from '../control/result.ts';
import { svstat } from '../control/svstat.ts';

finishClient(svstat(process.argv.slice(2)));
