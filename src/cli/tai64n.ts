// tai64n: label each line of stdin with the moment it was read (src/tai64n/label.ts).
import { labeller } from '../tai64n/label.ts';
import { runFilter } from '../tai64n/filter.ts';

runFilter(labeller());
