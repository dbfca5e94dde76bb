#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by the benchmarks' guest scripts, sourced after
# tests/vm/ipvs/lib-ipvs.sh (which counts wait_for's polls instead of time:
# under emulation a poll that forks costs far more than its sleep, and a
# "60 s" wait became minutes).

# wait_for TIMEOUT_SECONDS CMD...: poll every 50 ms until CMD succeeds, by the clock.
wait_for() {
    local timeout=$1; shift
    local deadline=$(( ${EPOCHREALTIME/./} + timeout * 1000000 ))
    while :; do
        "$@" >/dev/null 2>&1 && return 0
        [ "${EPOCHREALTIME/./}" -ge "$deadline" ] && return 1
        sleep 0.05
    done
}

# stop_pid PID NAME: SIGTERM, then SIGKILL after 20 s (and say so).
stop_pid() {
    kill "$1" 2>/dev/null
    local deadline=$(( ${EPOCHREALTIME/./} + 20000000 ))
    while kill -0 "$1" 2>/dev/null; do
        if [ "${EPOCHREALTIME/./}" -ge "$deadline" ]; then
            log "$2 did not stop within 20 s of SIGTERM: killed"
            kill -9 "$1" 2>/dev/null
            break
        fi
        sleep 0.1
    done
    wait "$1" 2>/dev/null
    return 0
}
