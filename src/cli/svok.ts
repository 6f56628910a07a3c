// svok: thin entry point; the program is src/control/svok.ts.
import { finishClient } from '../control/result.ts';
import { svok } from '../control/svok.ts';

finishClient(svok(process.argv.slice(2)));
