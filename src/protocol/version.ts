// svtools' version, from package.json alone; esbuild inlines it into each bundle at build time.
import pkg from '../../package.json' with { type: 'json' };

export const VERSION: string = pkg.version;
