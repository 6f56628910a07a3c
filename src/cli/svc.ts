// svc: thin entry point; the program is src/control/svc.ts.
import { finishClient } from '../control/result.ts';
import { svc } from '../control/svc.ts';

void Promise.resolve(svc(process.argv.slice(2))).then(finishClient);
