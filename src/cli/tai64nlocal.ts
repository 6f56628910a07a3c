// tai64nlocal: TAI64N labels at line starts to local time (src/tai64n/local.ts).
import { localiser } from '../tai64n/local.ts';
import { runFilter } from '../tai64n/filter.ts';

runFilter(localiser());
