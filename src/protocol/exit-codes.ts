// Exit codes every svtools program shares, as daemontools' programs use them; a program's own codes
// (svwait's 99 and 102, svcheck's 0-3, sabo's 2-4) are named beside it and listed in its doc/ page.

/** Done, or the condition holds. */
export const EXIT_OK = 0;
/** Bad usage: an unknown option, a missing argument (daemontools: 100). */
export const EXIT_USAGE = 100;
/** A failure worth retrying: a file, directory, lock or fifo that cannot be used now (daemontools: 111). */
export const EXIT_FAILURE = 111;
