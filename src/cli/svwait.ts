// svwait: thin entry point; the program is src/control/svwait.ts.
import { finishClient } from '../control/result.ts';
import { svwait } from '../control/svwait.ts';

void svwait(process.argv.slice(2)).then(finishClient);
