// svstat: thin entry point; the program is src/svstat/svstat.ts.
import { finishClient } from '../protocol/client-result.ts';
import { svstat } from '../svstat/svstat.ts';

finishClient(svstat(process.argv.slice(2)));
