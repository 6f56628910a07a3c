// Error texts exactly as daemontools prints them (djb's error_str), so that our messages read like
// daemontools' own: `unable to chdir: file does not exist`, `supervise not running`, ...

const DJB_ERROR_TEXT: Record<string, string> = {
  EINTR: 'interrupted system call',
  ENOMEM: 'out of memory',
  ENOENT: 'file does not exist',
  ETXTBSY: 'text busy',
  EIO: 'input/output error',
  EEXIST: 'file already exists',
  ETIMEDOUT: 'timed out',
  EINPROGRESS: 'operation in progress',
  EAGAIN: 'temporary failure',
  EWOULDBLOCK: 'temporary failure',
  EPIPE: 'broken pipe',
  EPERM: 'permission denied',
  EACCES: 'access denied',
  ENXIO: 'device not configured',
  EPROTO: 'protocol error',
  EISDIR: 'is a directory',
  ESRCH: 'no such process',
  E2BIG: 'argument list too long',
  ENOEXEC: 'exec format error',
  EBADF: 'file descriptor not open',
  ECHILD: 'no child processes',
  EDEADLK: 'operation would cause deadlock',
  EFAULT: 'bad address',
  ENOTBLK: 'not a block device',
  EBUSY: 'device busy',
  EXDEV: 'cross-device link',
  ENODEV: 'device does not support operation',
  ENOTDIR: 'not a directory',
  EINVAL: 'invalid argument',
  ENFILE: 'system cannot open more files',
  EMFILE: 'process cannot open more files',
  ENOTTY: 'not a tty',
  EFBIG: 'file too big',
  ENOSPC: 'out of disk space',
  ESPIPE: 'unseekable descriptor',
  EROFS: 'read-only file system',
  EMLINK: 'too many links',
  EDOM: 'input out of range',
  ERANGE: 'output out of range',
  ELOOP: 'symbolic link loop',
  ENAMETOOLONG: 'file name too long',
  ENOTEMPTY: 'directory not empty',
  EDQUOT: 'disk quota exceeded',
  ESTALE: 'stale NFS file handle',
};

/** The daemontools wording of a Node system error (`err.code`), or Node's own message otherwise. */
export function djbErrorText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string' && e.code in DJB_ERROR_TEXT) return DJB_ERROR_TEXT[e.code]!;
  if (e && typeof e.code === 'string') return e.code.toLowerCase();
  return String(e?.message ?? err);
}

export function errorCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException)?.code;
}
