// multilog: thin entry point; the program is src/multilog/main.ts.
import { runMultilog } from '../multilog/main.ts';

runMultilog(process.argv.slice(2));
