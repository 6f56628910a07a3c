// multilog: thin entry point; the program is src/multilog/main.ts.
import { runMultilog } from '../multilog/main.ts';
import { restoreExtraCaCerts } from '../protocol/extra-ca-certs.ts';

restoreExtraCaCerts(); // bin/multilog's hand-over, for the !processor's environment

runMultilog(process.argv.slice(2));
