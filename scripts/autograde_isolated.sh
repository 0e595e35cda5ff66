#!/bin/sh
# Autograde each student's submission of one assignment in namespaces of its own (issue 18, item 6):
# no network, the course directory read-only but for the gradebook's folder and the student's own
# autograded folder, the other students' submissions and results hidden, a private /tmp, /dev/shm and $HOME, and the
# course library's repository and Python environment read-only. Linux only, with unprivileged user
# namespaces (util-linux's unshare; no Docker, no root). Run it in the course directory, as the user who
# owns it, after the one-time layout of the README ("gradebook.db" moved into db/):
#
#     sh /path/to/repo/scripts/autograde_isolated.sh 03_memory_cells            # every student
#     sh /path/to/repo/scripts/autograde_isolated.sh 03_memory_cells alice bob  # some
#
# The nbgrader and Python of the environment that runs it are used (activate it first, or set NBGRADER).
# Environment: RNN_COURSE_MEMORY_LIMIT (MB, default 4096), OPENBLAS_NUM_THREADS (default 1).
set -eu
[ $# -ge 1 ] || { echo "usage: $0 ASSIGNMENT [STUDENT ...]" >&2; exit 2; }
A=$1; shift
C=$(pwd -P)
case "$C/" in /tmp/*) echo "$0: the course directory must not be under /tmp, which each grading hides" >&2; exit 2;; esac
[ -f "$C/nbgrader_config.py" ] || { echo "$0: run it in the course directory (no nbgrader_config.py in $C)" >&2; exit 2; }
[ -d "$C/db" ] && [ -L "$C/gradebook.db" ] || {
    echo "$0: move the gradebook into db/ first: mkdir -p db && mv gradebook.db db/ && ln -s db/gradebook.db gradebook.db" >&2; exit 2; }
NBGRADER=${NBGRADER:-$(command -v nbgrader)}
ENV_PREFIX=$(dirname "$(dirname "$(readlink -f "$NBGRADER")")")       # the Python environment
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
REPO=$("$ENV_PREFIX/bin/python" -P -c 'import os, rnn_course; print(os.path.dirname(os.path.dirname(rnn_course.__file__)))')
[ $# -ge 1 ] || set -- $(ls "$C/submitted")
for S in "$@"; do
    [ -d "$C/submitted/$S/$A" ] || { echo "$S: no submission of $A, skipped"; continue; }
    mkdir -p "$C/autograded/$S" "$C/feedback"
    echo "== $S"
    unshare --user --map-root-user --net --mount --pid --fork --mount-proc --kill-child sh -eu -c '
        C=$1; S=$2; A=$3; REPO=$4; ENV_PREFIX=$5; NBGRADER=$6
        ip link set lo up                              # the kernel and nbgrader talk over the loopback only
        mount -t tmpfs -o size=1g tmpfs /tmp           # a private /tmp, which holds $HOME too
        mount -t tmpfs -o size=256m tmpfs /dev/shm     # and a private /dev/shm (POSIX shared memory)
        mkdir -p /tmp/home /tmp/stage/sub /tmp/stage/out
        mount --bind "$C/submitted/$S" /tmp/stage/sub  # kept aside before submitted/ and autograded/ are hidden
        mount --bind "$C/autograded/$S" /tmp/stage/out
        for p in "$REPO" "$ENV_PREFIX" "$C"; do        # its own mounts, made read-only below with the rest
            mount --bind "$p" "$p"
        done
        # Every mount read-only (the library, its environment, the course, the rest of the machine), but the
        # kernel file systems; then the few places the grading writes are made writable again.
        awk '"'"'{print $5}'"'"' /proc/self/mountinfo | while read -r m; do
            case "$m" in /proc|/proc/*|/sys|/sys/*|/dev|/dev/*|/tmp|/tmp/*) continue;; esac
            mount -o remount,bind,ro "$m" 2>/dev/null || echo "warning: $m stays writable" >&2
        done
        mount --bind "$C/db" "$C/db" && mount -o remount,bind,rw "$C/db"   # the gradebook (and its journal)
        for d in submitted autograded feedback; do mount -t tmpfs tmpfs "$C/$d"; done   # the others hidden
        mkdir -p "$C/submitted/$S" "$C/autograded/$S"
        mount --bind /tmp/stage/sub "$C/submitted/$S" && mount -o remount,bind,ro "$C/submitted/$S"
        mount --bind /tmp/stage/out "$C/autograded/$S" && mount -o remount,bind,rw "$C/autograded/$S"
        cd "$C"
        # One more user namespace may be made from here: nbgrader'"'"'s, below. A kernel that makes its own (root in
        # it, it could mount a tmpfs of its own and fill the machine'"'"'s memory, a 5th teacher'"'"'s try) gets ENOSPC.
        echo 1 > /proc/sys/user/max_user_namespaces
        # nbgrader, and the kernel it starts, in a user namespace of their own: root there, but with no power
        # over these mounts (they belong to the namespace above), which are locked: they can be neither
        # remounted writable nor unmounted to show what they cover, not even from a new namespace.
        HOME=/tmp/home exec unshare --user --map-current-user "$NBGRADER" autograde "$A" --student "$S"
    ' sh "$C" "$S" "$A" "$REPO" "$ENV_PREFIX" "$NBGRADER" || echo "$S: autograde exited with $?"
done
