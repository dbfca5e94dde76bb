/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "check-state.h"
#include "macro.h"

static const char *const state_names[_CHECK_STATE_MAX] = {
        [CHECK_STATE_UNKNOWN] = "unknown",
        [CHECK_STATE_UP] = "up",
        [CHECK_STATE_DOWN] = "down",
};

const char *check_state_to_string(CheckState s) {
        return s < _CHECK_STATE_MAX ? state_names[s] : "invalid";
}

void check_hysteresis_init(CheckHysteresis *h, unsigned fall, unsigned rise, CheckState initial) {
        *h = (CheckHysteresis) {
                .state = initial,
                .last_known = initial,
                .fall = MAX(fall, 1u),
                .rise = MAX(rise, 1u),
        };
}

bool check_hysteresis_feed(CheckHysteresis *h, CheckResultKind r) {
        CheckState old = h->state;

        if (r == CHECK_RESULT_ERROR) {
                if (h->state != CHECK_STATE_UNKNOWN)
                        h->last_known = h->state;
                h->state = CHECK_STATE_UNKNOWN;
                return old != h->state;
        }

        /* Continue from the last state a real result established. */
        CheckState base = h->state == CHECK_STATE_UNKNOWN ? h->last_known : h->state;
        CheckState next = base;

        if (r == CHECK_RESULT_UP) {
                h->n_fail = 0;
                if (h->n_ok < UINT32_MAX)
                        h->n_ok++;
                if (base != CHECK_STATE_UP && h->n_ok >= h->rise)
                        next = CHECK_STATE_UP;
        } else {
                h->n_ok = 0;
                if (h->n_fail < UINT32_MAX)
                        h->n_fail++;
                if (base != CHECK_STATE_DOWN && h->n_fail >= h->fall)
                        next = CHECK_STATE_DOWN;
        }

        h->state = next;
        h->last_known = next;
        return old != next;
}

usec_t check_next_due(usec_t prev_due, usec_t interval, usec_t now) {
        usec_t next = prev_due + interval;
        if (next < prev_due || next <= now) /* overflow or already late */
                return now;
        return next;
}

usec_t check_first_due(usec_t now, usec_t warmup, uint64_t rnd) {
        if (warmup == 0 || warmup == USEC_INFINITY)
                return now;
        return now + rnd % warmup;
}

CheckResultKind check_exec_status_to_result(int exit_status, bool dynamic, int conf_weight, int *ret_weight) {
        *ret_weight = conf_weight;
        if (exit_status == 0)
                return CHECK_RESULT_UP;
        if (dynamic && exit_status >= 2 && exit_status <= 255) {
                *ret_weight = exit_status - 2;
                return CHECK_RESULT_UP;
        }
        return CHECK_RESULT_DOWN;
}
