// svok: thin entry point; the program is src/svc/svok.ts.
import { finishClient } from '../protocol/client-result.ts';
import { svok } from '../svc/svok.ts';

finishClient(svok(process.argv.slice(2)));
