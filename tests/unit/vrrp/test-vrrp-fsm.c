/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The RFC 5798 §6.4 state machine driven by a fake clock. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "vrrp-fsm.h"

#define MS USEC_PER_MSEC
#define S USEC_PER_SEC

static union in_addr_union A(const char *s) {
        union in_addr_union u = {};
        assert_int_equal(inet_pton(AF_INET, s, &u.in), 1);
        return u;
}

static VrrpFsmParams params(uint8_t prio) {
        return (VrrpFsmParams) { .version = 3, .priority = prio, .advert_interval = 1 * S, .preempt = true,
                                 .family = AF_INET, .self = A("10.0.0.2") };
}

/* Runs the clock from *now to until in 1 ms steps, firing timers like the
 * daemon does; returns at the first output that changes state. */
static bool run_until(VrrpFsm *f, usec_t *now, usec_t until, VrrpFsmOutput *out, unsigned *n_adverts) {
        for (; *now <= until; *now += MS) {
                if (vrrp_fsm_next_deadline(f) > *now)
                        continue;
                vrrp_fsm_timeout(f, *now, out);
                if (out->send_advert && n_adverts)
                        (*n_adverts)++;
                if (out->changed)
                        return true;
        }
        *now = until;
        return false;
}

static void test_startup_backup_then_master_down(void **state) {
        VrrpFsmParams p = params(100);
        VrrpFsm f;
        VrrpFsmOutput o;
        vrrp_fsm_init(&f, &p);
        vrrp_fsm_startup(&f, 0, &o);
        assert_true(o.changed);
        assert_int_equal(o.from, VRRP_STATE_INIT);
        assert_int_equal(o.to, VRRP_STATE_BACKUP);
        assert_false(o.send_advert);
        /* skew = (256-100)/256 s = 609375 us, down = 3 s + skew */
        assert_int_equal(vrrp_fsm_skew_time(&f), 609375);
        assert_int_equal(vrrp_fsm_master_down_interval(&f), 3609375);
        usec_t now = 0;
        assert_false(run_until(&f, &now, 3609375 - 1, &o, NULL));
        assert_int_equal(f.state, VRRP_STATE_BACKUP);
        now = 3609375;
        vrrp_fsm_timeout(&f, now, &o);
        assert_true(o.changed);
        assert_int_equal(o.to, VRRP_STATE_MASTER);
        assert_string_equal(o.reason, "master-down");
        assert_true(o.send_advert);
        assert_int_equal(o.advert_priority, 100);
        assert_true(address_equal(AF_INET, &f.master_addr, &p.self));
        /* master: one advert per interval */
        unsigned n = 0;
        assert_false(run_until(&f, &now, now + 10 * S, &o, &n));
        assert_int_equal(n, 10);
}

static void test_owner_and_initial_master(void **state) {
        VrrpFsmParams p = params(255);
        VrrpFsm f;
        VrrpFsmOutput o;
        vrrp_fsm_init(&f, &p);
        vrrp_fsm_startup(&f, 5, &o);
        assert_int_equal(o.to, VRRP_STATE_MASTER);
        assert_string_equal(o.reason, "address-owner");
        assert_true(o.send_advert);
        assert_int_equal(o.advert_priority, 255);
        /* the owner keeps 255 whatever weights say */
        vrrp_fsm_set_priority(&f, 10, 200, &o);
        assert_int_equal(f.effective_priority, 255);
        /* the owner never yields to a non-owner */
        union in_addr_union hi = A("10.0.0.9");
        vrrp_fsm_advert(&f, 20, &hi, 254, 1 * S, &o);
        assert_int_equal(f.state, VRRP_STATE_MASTER);
        /* ...nor to another "owner" with a higher address: it discards all adverts (RFC 5798 §7.1) */
        vrrp_fsm_advert(&f, 30, &hi, 255, 1 * S, &o);
        assert_int_equal(f.state, VRRP_STATE_MASTER);
        assert_false(o.changed || o.send_advert);

        p = params(50);
        p.initial_master = true;
        vrrp_fsm_init(&f, &p);
        vrrp_fsm_startup(&f, 0, &o);
        assert_int_equal(o.to, VRRP_STATE_MASTER);
        assert_string_equal(o.reason, "initial-state master");
        /* ...and yields to a higher priority at its first advert */
        vrrp_fsm_advert(&f, 100, &hi, 100, 1 * S, &o);
        assert_int_equal(o.to, VRRP_STATE_BACKUP);
        assert_string_equal(o.reason, "preempted by 10.0.0.9 (priority 100, ours 50)");
}

static void test_backup_follows_higher_master_and_learns_interval(void **state) {
        VrrpFsmParams p = params(100);
        VrrpFsm f;
        VrrpFsmOutput o;
        union in_addr_union m = A("10.0.0.1");
        vrrp_fsm_init(&f, &p);
        vrrp_fsm_startup(&f, 0, &o);
        usec_t now = 0;
        /* adverts from a higher master every second keep us backup for a minute */
        for (int i = 0; i < 60; i++) {
                now += 1 * S;
                assert_false(run_until(&f, &now, now, &o, NULL));
                vrrp_fsm_advert(&f, now, &m, 200, 1 * S, &o);
                assert_false(o.changed);
                assert_false(o.send_advert);
        }
        assert_int_equal(f.state, VRRP_STATE_BACKUP);
        assert_true(address_equal(AF_INET, &f.master_addr, &m));
        assert_int_equal(f.master_priority, 200);
        /* equal priority is accepted in backup too (RFC: >=) */
        vrrp_fsm_advert(&f, now, &m, 100, 1 * S, &o);
        assert_int_equal(f.state, VRRP_STATE_BACKUP);

        /* v3: Master_Adver_Interval learnt from the master */
        vrrp_fsm_advert(&f, now, &m, 200, 100 * MS, &o);
        assert_int_equal(f.master_adver_interval, 100 * MS);
        assert_int_equal(vrrp_fsm_master_down_interval(&f), 300 * MS + 156 * 100 * MS / 256);
        assert_int_equal(vrrp_fsm_next_deadline(&f), now + 360937);
        /* master dies: we take over after the learnt down interval */
        usec_t t0 = now;
        assert_true(run_until(&f, &now, now + 10 * S, &o, NULL));
        assert_int_equal(now - t0, 360 * MS + MS); /* first 1 ms tick at/after 360.937 ms */
        assert_string_equal(o.reason, "master-down");

        /* v2 does not learn: the interval is fixed, skew in seconds */
        p.version = 2;
        vrrp_fsm_init(&f, &p);
        vrrp_fsm_startup(&f, 0, &o);
        vrrp_fsm_advert(&f, 0, &m, 200, 100 * MS, &o);
        assert_int_equal(f.master_adver_interval, 1 * S);
        assert_int_equal(vrrp_fsm_master_down_interval(&f), 3 * S + 609375);
}

static void test_priority_zero_release(void **state) {
        VrrpFsmParams p = params(100);
        VrrpFsm f;
        VrrpFsmOutput o;
        union in_addr_union m = A("10.0.0.1");
        vrrp_fsm_init(&f, &p);
        vrrp_fsm_startup(&f, 0, &o);
        usec_t now = 500 * MS;
        vrrp_fsm_advert(&f, now, &m, 200, 1 * S, &o);
        now = 1 * S;
        vrrp_fsm_advert(&f, now, &m, 0, 1 * S, &o);
        assert_false(o.changed);
        /* Master_Down_Timer = Skew_Time */
        assert_int_equal(vrrp_fsm_next_deadline(&f), now + 609375);
        assert_true(run_until(&f, &now, now + 5 * S, &o, NULL));
        assert_int_equal(o.to, VRRP_STATE_MASTER);
        assert_string_equal(o.reason, "master-released");

        /* master receiving priority 0 answers at once */
        vrrp_fsm_advert(&f, now + 10, &m, 0, 1 * S, &o);
        assert_true(o.send_advert);
        assert_int_equal(o.advert_priority, 100);
        assert_false(o.changed);
        assert_int_equal(vrrp_fsm_next_deadline(&f), now + 10 + 1 * S);
}

static void test_preempt_and_nopreempt(void **state) {
        VrrpFsmParams p = params(200);
        VrrpFsm f;
        VrrpFsmOutput o;
        union in_addr_union m = A("10.0.0.1");

        /* preempt: lower-priority adverts are discarded, we take over after down interval */
        vrrp_fsm_init(&f, &p);
        vrrp_fsm_startup(&f, 0, &o);
        usec_t now = 0;
        usec_t down = vrrp_fsm_master_down_interval(&f);
        for (int i = 0; i < 3; i++) {
                vrrp_fsm_advert(&f, now, &m, 100, 1 * S, &o);
                assert_false(o.changed);
                now += 1 * S;
        }
        /* the first advert did not reset the timer either: at exactly down we
         * claim (our advert, still BACKUP), and take over one interval plus
         * skew later when the old master has gone quiet */
        now = 0;
        unsigned sent = 0;
        assert_true(run_until(&f, &now, 10 * S, &o, &sent));
        usec_t claim_at = (down + MS - 1) / MS * MS;
        assert_int_equal(now, (claim_at + 1 * S + vrrp_fsm_skew_time(&f) + MS - 1) / MS * MS);
        assert_int_equal(sent, 2); /* the claim, then the new master's first advert */
        assert_string_equal(o.reason, "preempt (priority 200 > master priority 100)");

        /* an old master that keeps advertising has not heard the claim: we
         * claim again on each of its adverts and never take the VIP beside it */
        vrrp_fsm_init(&f, &p);
        vrrp_fsm_startup(&f, 0, &o);
        now = 0;
        unsigned claims = 0;
        for (int i = 0; i < 20; i++) {
                vrrp_fsm_advert(&f, now, &m, 100, 1 * S, &o);
                if (o.send_advert) {
                        assert_int_equal(o.advert_priority, 200);
                        claims++;
                }
                assert_false(run_until(&f, &now, now + 1 * S - MS, &o, &claims));
                now += MS;
        }
        assert_int_equal(f.state, VRRP_STATE_BACKUP);
        assert_true(claims >= 15);
        /* it yields (silent from now on): master after one interval + skew */
        usec_t quiet = now;
        assert_true(run_until(&f, &now, now + 10 * S, &o, NULL));
        assert_int_equal(o.to, VRRP_STATE_MASTER);
        assert_true(now <= quiet + 1 * S + vrrp_fsm_skew_time(&f) + MS);

        /* nopreempt: a lower-priority master is followed */
        p.preempt = false;
        vrrp_fsm_init(&f, &p);
        vrrp_fsm_startup(&f, 0, &o);
        now = 0;
        for (int i = 0; i < 30; i++) {
                now += 1 * S;
                assert_false(run_until(&f, &now, now, &o, NULL));
                vrrp_fsm_advert(&f, now, &m, 100, 1 * S, &o);
        }
        assert_int_equal(f.state, VRRP_STATE_BACKUP);
}

static void test_preempt_delay(void **state) {
        VrrpFsmParams p = params(200);
        p.preempt_delay = 10 * S;
        VrrpFsm f;
        VrrpFsmOutput o;
        union in_addr_union m = A("10.0.0.1");
        vrrp_fsm_init(&f, &p);
        vrrp_fsm_startup(&f, 0, &o);
        usec_t now = 0, first = 0;
        bool became = false;
        for (int i = 0; i < 40 && !became; i++) {
                if (!f.claimed) /* the old master yields to our claim */
                        vrrp_fsm_advert(&f, now, &m, 100, 1 * S, &o);
                usec_t next = now + 1 * S;
                became = run_until(&f, &now, next, &o, NULL);
        }
        assert_true(became);
        /* tolerated for 10 s (adverts at 0..9 s accepted), then the down
         * interval after the last accepted one (9 s) runs out: claim, and
         * master one interval plus skew later */
        usec_t claim_at = (first + 9 * S + vrrp_fsm_master_down_interval(&f) + MS - 1) / MS * MS;
        assert_int_equal(now, (claim_at + 1 * S + vrrp_fsm_skew_time(&f) + MS - 1) / MS * MS);
        assert_int_equal(o.to, VRRP_STATE_MASTER);
}

static void test_master_preempted_and_tie_break(void **state) {
        VrrpFsmParams p = params(100);
        p.initial_master = true;
        VrrpFsm f;
        VrrpFsmOutput o;
        union in_addr_union lo = A("10.0.0.1"), hi = A("10.0.0.3");

        vrrp_fsm_init(&f, &p);
        vrrp_fsm_startup(&f, 0, &o);
        /* lower priority: ignored */
        vrrp_fsm_advert(&f, 10, &hi, 99, 1 * S, &o);
        assert_false(o.changed);
        assert_false(o.send_advert);
        /* equal priority, lower address: we (10.0.0.2) stay master */
        vrrp_fsm_advert(&f, 20, &lo, 100, 1 * S, &o);
        assert_false(o.changed);
        assert_int_equal(f.state, VRRP_STATE_MASTER);
        /* equal priority, higher address: we yield */
        vrrp_fsm_advert(&f, 30, &hi, 100, 2 * S, &o);
        assert_true(o.changed);
        assert_int_equal(o.to, VRRP_STATE_BACKUP);
        assert_false(o.send_advert);
        assert_true(address_equal(AF_INET, &f.master_addr, &hi));
        assert_int_equal(f.master_adver_interval, 2 * S); /* learnt on the way down */
        assert_int_equal(vrrp_fsm_next_deadline(&f), 30 + 6 * S + 156 * 2 * S / 256);
}

static void test_fault(void **state) {
        VrrpFsmParams p = params(100);
        p.initial_master = true;
        VrrpFsm f;
        VrrpFsmOutput o;
        vrrp_fsm_init(&f, &p);
        vrrp_fsm_startup(&f, 0, &o);
        vrrp_fsm_set_fault(&f, 100, true, "interface eth1 down", &o);
        assert_true(o.changed);
        assert_int_equal(o.from, VRRP_STATE_MASTER);
        assert_int_equal(o.to, VRRP_STATE_FAULT);
        assert_string_equal(o.reason, "interface eth1 down");
        assert_true(o.send_advert);
        assert_int_equal(o.advert_priority, 0);
        assert_int_equal(vrrp_fsm_next_deadline(&f), USEC_INFINITY);
        /* adverts in FAULT change nothing */
        union in_addr_union m = A("10.0.0.1");
        vrrp_fsm_advert(&f, 200, &m, 0, 1 * S, &o);
        assert_false(o.changed || o.send_advert);
        vrrp_fsm_timeout(&f, 100 * S, &o);
        assert_false(o.changed || o.send_advert);
        /* recovery goes through Initialize: initial master → master */
        vrrp_fsm_set_fault(&f, 300, false, "interface eth1 up", &o);
        assert_int_equal(o.from, VRRP_STATE_FAULT);
        assert_int_equal(o.to, VRRP_STATE_MASTER);

        p.initial_master = false;
        vrrp_fsm_init(&f, &p);
        vrrp_fsm_set_fault(&f, 0, true, "interface eth9 missing", &o);
        assert_false(o.changed); /* INIT→FAULT happens at startup */
        vrrp_fsm_startup(&f, 0, &o);
        assert_int_equal(o.to, VRRP_STATE_FAULT);
        assert_string_equal(o.reason, "interface eth9 missing");
        vrrp_fsm_set_fault(&f, 10, false, "interface eth9 appeared", &o);
        assert_int_equal(o.to, VRRP_STATE_BACKUP);
        assert_string_equal(o.reason, "interface eth9 appeared");
        assert_int_equal(vrrp_fsm_next_deadline(&f), 10 + vrrp_fsm_master_down_interval(&f));
        /* backup → fault sends nothing */
        vrrp_fsm_set_fault(&f, 20, true, "check chk down", &o);
        assert_int_equal(o.to, VRRP_STATE_FAULT);
        assert_false(o.send_advert);
}

static void test_shutdown_demote_priority(void **state) {
        VrrpFsmParams p = params(150);
        p.initial_master = true;
        VrrpFsm f;
        VrrpFsmOutput o;
        union in_addr_union m = A("10.0.0.1");
        vrrp_fsm_init(&f, &p);
        vrrp_fsm_startup(&f, 0, &o);

        /* weights: the new priority goes out at once */
        vrrp_fsm_set_priority(&f, 50, 130, &o);
        assert_true(o.send_advert);
        assert_int_equal(o.advert_priority, 130);
        assert_int_equal(f.effective_priority, 130);
        vrrp_fsm_set_priority(&f, 60, 0, &o);
        assert_int_equal(f.effective_priority, 1); /* clamped; 0 means "leaving" on the wire */
        vrrp_fsm_set_priority(&f, 70, 150, &o);

        /* Demote: priority 0 out, backup, and no preempting of the lower peer */
        assert_int_equal(vrrp_fsm_demote(&f, 100, &o), 0);
        assert_true(o.send_advert);
        assert_int_equal(o.advert_priority, 0);
        assert_int_equal(o.to, VRRP_STATE_BACKUP);
        assert_string_equal(o.reason, "demoted");
        assert_int_equal(vrrp_fsm_demote(&f, 100, &o), -EBUSY);
        usec_t now = 100;
        for (int i = 0; i < 20; i++) {
                now += 1 * S;
                assert_false(run_until(&f, &now, now, &o, NULL));
                vrrp_fsm_advert(&f, now, &m, 100, 1 * S, &o);
        }
        assert_int_equal(f.state, VRRP_STATE_BACKUP);
        /* SetPriority ends the demotion: preemption resumes */
        vrrp_fsm_set_priority(&f, now, 151, &o);
        vrrp_fsm_advert(&f, now, &m, 100, 1 * S, &o);
        assert_true(run_until(&f, &now, now + 10 * S, &o, NULL));
        assert_int_equal(o.to, VRRP_STATE_MASTER);

        /* Shutdown as master: priority 0, STOPPED, no more timers */
        vrrp_fsm_shutdown(&f, now, &o);
        assert_true(o.send_advert);
        assert_int_equal(o.advert_priority, 0);
        assert_int_equal(o.to, VRRP_STATE_STOPPED);
        assert_string_equal(o.reason, "shutdown");
        assert_int_equal(vrrp_fsm_next_deadline(&f), USEC_INFINITY);
        /* as backup: nothing sent */
        p.initial_master = false;
        vrrp_fsm_init(&f, &p);
        vrrp_fsm_startup(&f, 0, &o);
        vrrp_fsm_shutdown(&f, 1, &o);
        assert_false(o.send_advert);
        assert_int_equal(o.to, VRRP_STATE_STOPPED);
}

static void test_force_sync_group(void **state) {
        VrrpFsmParams p = params(100);
        VrrpFsm f;
        VrrpFsmOutput o;
        vrrp_fsm_init(&f, &p);
        vrrp_fsm_startup(&f, 0, &o);
        vrrp_fsm_force(&f, 10, VRRP_STATE_MASTER, "sync group G1: VI_2 master", &o);
        assert_int_equal(o.to, VRRP_STATE_MASTER);
        assert_true(o.send_advert);
        assert_int_equal(o.advert_priority, 100);
        vrrp_fsm_force(&f, 20, VRRP_STATE_MASTER, "again", &o);
        assert_false(o.changed);
        vrrp_fsm_force(&f, 30, VRRP_STATE_BACKUP, "sync group G1: VI_2 backup", &o);
        assert_int_equal(o.to, VRRP_STATE_BACKUP);
        assert_int_equal(o.advert_priority, 0);
        vrrp_fsm_set_fault(&f, 40, true, "sync group G1: VI_2 fault", &o);
        vrrp_fsm_force(&f, 50, VRRP_STATE_MASTER, "x", &o);
        assert_false(o.changed); /* a faulted member is not forced */
        assert_string_equal(vrrp_state_to_string(f.state), "fault");
        assert_null(vrrp_state_to_string(_VRRP_STATE_MAX));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_startup_backup_then_master_down),
                cmocka_unit_test(test_owner_and_initial_master),
                cmocka_unit_test(test_backup_follows_higher_master_and_learns_interval),
                cmocka_unit_test(test_priority_zero_release),
                cmocka_unit_test(test_preempt_and_nopreempt),
                cmocka_unit_test(test_preempt_delay),
                cmocka_unit_test(test_master_preempted_and_tie_break),
                cmocka_unit_test(test_fault),
                cmocka_unit_test(test_shutdown_demote_priority),
                cmocka_unit_test(test_force_sync_group),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
