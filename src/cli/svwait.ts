// svwait: thin entry point; the program is src/svc/svwait.ts.
import { finishClient } from '../protocol/client-result.ts';
import { svwait } from '../svc/svwait.ts';

void svwait(process.argv.slice(2)).then(finishClient);
