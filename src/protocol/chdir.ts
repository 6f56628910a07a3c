// The clients work as daemontools' do: chdir into each service directory and open relative paths,
// so that every error names the same step (chdir, open) that daemontools' messages name.

export type InDirectory<T> = { entered: true; value: T } | { entered: false; error: unknown };

/** Runs `fn` with DIR as the working directory and restores the old one; reports a failed chdir. */
export function inDirectory<T>(dir: string, fn: () => T): InDirectory<T> {
  const original = process.cwd();
  try {
    process.chdir(dir);
  } catch (error) {
    return { entered: false, error };
  }
  try {
    return { entered: true, value: fn() };
  } finally {
    process.chdir(original);
  }
}
