#!/usr/bin/env bash
# platform/logged.sh NAME COMMAND...: run COMMAND (exec'd, so its exit code and signals are
# its own) with stdout and stderr appended to $PLATFORM_DATA_DIR/logs/NAME.log and copied to
# stdout, honcho's stream. tee ignores SIGINT/SIGTERM: it ends when COMMAND's output does,
# so the last lines of a shutdown still reach the log.
set -eu
log="${PLATFORM_DATA_DIR:-.data}/logs/$1.log"
printf '\n==== %s %s\n' "$(date '+%F %T')" "${*:2}" >>"$log"
if [ "$1" = seaweedfs ]; then
    # weed logs every informational line (I1201 07:29:57 ...): the log keeps them all, the
    # console gets the rest.
    exec > >(trap '' INT TERM; tee -a "$log" | grep --line-buffered -Ev '^I[0-9]{4} ') 2>&1
else
    exec > >(trap '' INT TERM; exec tee -a "$log") 2>&1
fi
shift
exec "$@"
