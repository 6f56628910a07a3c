// svscan: thin entry point; the program is src/svscan/main.ts.
import { runSvscan } from '../svscan/main.ts';

runSvscan(process.argv.slice(2));
