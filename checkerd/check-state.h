/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The pure part of a check's life: hysteresis (fall/rise), what an attempt's
 * outcome does (retry or count), and when the next run is due. No I/O, so it
 * is unit tested directly (tests/unit/checker/test-check-state.c). */

#include <stdbool.h>
#include <stdint.h>

#include "time-util.h"

typedef enum CheckState {
        CHECK_STATE_UNKNOWN,
        CHECK_STATE_UP,
        CHECK_STATE_DOWN,
        _CHECK_STATE_MAX,
} CheckState;

const char *check_state_to_string(CheckState s);

typedef enum CheckResultKind {
        CHECK_RESULT_UP,
        CHECK_RESULT_DOWN,
        /* The probe could not be run at all (EMFILE, ENOMEM, fork failure): says
         * nothing about the backend, so it must not count towards fall. */
        CHECK_RESULT_ERROR,
} CheckResultKind;

typedef struct CheckHysteresis {
        CheckState state;      /* what consumers see */
        CheckState last_known; /* state before an ERROR made it unknown */
        unsigned fall, rise;   /* ≥ 1 */
        unsigned n_ok, n_fail; /* consecutive results of each kind */
} CheckHysteresis;

void check_hysteresis_init(CheckHysteresis *h, unsigned fall, unsigned rise, CheckState initial);

/* Feeds one counted result. Returns true when h->state changed.
 * UP/DOWN move the state only after rise/fall consecutive results. ERROR turns
 * the state unknown but keeps the counters and remembers the last known state:
 * the next real result continues from there, so a check that briefly cannot
 * run (EMFILE) never flaps a real server down and back up. */
bool check_hysteresis_feed(CheckHysteresis *h, CheckResultKind r);

/* One attempt failed (DOWN). With attempts_done attempts made so far (≥ 1)
 * and `retry` extra attempts allowed: true = try again after
 * delay_before_retry, false = count the failure. */
static inline bool check_should_retry(unsigned attempts_done, unsigned retry) {
        return attempts_done <= retry;
}

/* Fixed-rate schedule: the next run is one interval after the previous due
 * time so checks keep the spread their warmup gave them; if that moment has
 * already passed (a slow probe, a stalled loop), run now rather than in a burst
 * of catch-up runs. */
usec_t check_next_due(usec_t prev_due, usec_t interval, usec_t now);

/* The first run: a random point in [0, warmup) after start, so thousands of
 * checks with the same interval do not fire in the same millisecond.
 * rnd is a uniformly random 64-bit value. */
usec_t check_first_due(usec_t now, usec_t warmup, uint64_t rnd);

/* keepalived's misc_dynamic: exit 0 = up (configured weight), 1 = down,
 * 2..255 = up with weight exit-2. Without dynamic, any non-zero is down. */
CheckResultKind check_exec_status_to_result(int exit_status, bool dynamic, int conf_weight, int *ret_weight);
