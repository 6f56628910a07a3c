# Sourced by the chain-loaders (bin/setuidgid, bin/envdir, bin/setlock, ...): daemontools' messages,
# its pathexec_run (how the child is found), its getopt and account lookup, written once. Sourcing
# costs ~0.05 ms a run (500 in a loop), against the ~1 ms of starting dash itself.
# Every variable is named cl_*: dash exports an assignment to any name that came in the environment,
# so a plain name (uid, dir) could hand a changed value to the child.

cl_fatal() { # CODE MESSAGE
  printf '%s: fatal: %s\n' "$cl_prog" "$2" >&2
  exit "$1"
}

cl_usage() { # [CODE]: daemontools' usage line; 100 but for envdir's 111
  printf '%s: usage: %s\n' "$cl_prog" "$cl_usage" >&2
  exit "${1:-100}"
}

cl_bad_option() { # NAME OPTARG from getopts in silent mode: djb getopt's line, then the usage
  if [ "$1" = : ]; then
    printf '%s: option requires an argument -- %s\n' "$cl_prog" "$2" >&2
  else
    printf '%s: illegal option -- %s\n' "$cl_prog" "$2" >&2
  fi
  cl_usage
}

# Why execve(FILE) would fail, as daemontools words errno ('' when it would not): test(1) builtins,
# no fork. Known gaps (doc/setuidgid.md): a file without #! nor ELF header (dash would run it with sh,
# daemontools says "exec format error") and an unsearchable directory on the way (ENOENT here).
cl_exec_error() {
  if [ -d "$1" ] || { [ -e "$1" ] && ! { [ -f "$1" ] && [ -x "$1" ]; }; }; then
    cl_err='access denied'
  elif [ -e "$1" ]; then
    cl_err=
  else
    cl_err='file does not exist'
  fi
}

# Dies with daemontools' "unable to run CHILD: ..." unless exec CHILD would succeed, CHILD found as
# its pathexec_run finds it: a name without / in $PATH (/bin:/usr/bin when unset), an empty entry
# meaning the current directory, "access denied" kept over a later "file does not exist". Checked
# before exec because dash's own failed exec exits 126/127 with its own words.
cl_runnable() {
  case $1 in
  */*) cl_exec_error "$1" ;;
  *)
    # Unset PATH: dash would search its own default. An unexported shell variable steers dash's
    # exec without reaching the child's environment.
    [ "${PATH+set}" ] || PATH=/bin:/usr/bin
    cl_p=$PATH: cl_saved=
    while [ -n "$cl_p" ]; do
      cl_d=${cl_p%%:*} cl_p=${cl_p#*:}
      cl_exec_error "${cl_d:-.}/$1"
      [ -z "$cl_err" ] && return
      [ "$cl_err" = 'access denied' ] && cl_saved=$cl_err
    done
    cl_err=${cl_saved:-$cl_err}
    ;;
  esac
  [ -z "$cl_err" ] || cl_fatal 111 "unable to run $1: $cl_err"
}

cl_run() { # CHILD...: exec it in place (same pid), or die as daemontools does
  cl_runnable "$1"
  exec "$@"
}

# NAME: cl_uid, cl_gid of the account, or daemontools' "unknown account NAME" (111). /etc/passwd is
# read with the read builtin first: ~0.7 ms to reach nobody on line 18 (read(2) byte by byte), where
# a getent fork costs ~1.8 ms (500 of each in a loop). A name it lacks goes to getent, so that NSS
# accounts (LDAP, sssd, systemd) work. getent also answers a uid; getpwnam(3), like daemontools,
# takes names only: the name must match.
cl_account() {
  while IFS=: read -r cl_name cl_x cl_uid cl_gid cl_x; do
    [ "$cl_name" = "$1" ] && return
  done </etc/passwd
  cl_x=$(getent passwd -- "$1" 2>/dev/null)
  case $cl_x in
  "$1":*:*:*)
    cl_x=${cl_x#"$1":*:}
    cl_uid=${cl_x%%:*} cl_x=${cl_x#*:}
    cl_gid=${cl_x%%:*}
    ;;
  *) cl_fatal 111 "unknown account $1" ;;
  esac
}
