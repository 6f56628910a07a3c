// svc: thin entry point; the program is src/svc/svc.ts.
import { finishClient } from '../protocol/client-result.ts';
import { svc } from '../svc/svc.ts';

void Promise.resolve(svc(process.argv.slice(2))).then(finishClient);
