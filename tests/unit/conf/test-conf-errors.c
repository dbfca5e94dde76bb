/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Every diagnostic of the config model: one small YAML snippet per problem,
 * asserting the exact "t.yaml:LINE:COL: error: message" line and how many
 * errors there are (a problem must not cascade into unrelated ones). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "conf-test-util.h"
#include "macro.h"

typedef struct ErrCase {
        const char *name;
        const char *yaml;
        const char *expect; /* a whole line of the printed diagnostics */
        int errors;         /* expected error count; 0 means 1 */
} ErrCase;

static const ErrCase cases[] = {
        { "unknown-key-suggestion",
          "vrrp:\n  instances:\n    VI_1:\n      interface: eth0\n      virtual_router_id: 1\n      prority: 3\n"
          "      virtual_addresses: [10.0.0.1/24]\n",
          "t.yaml:6:7: error: unknown key 'prority' in vrrp instance 'VI_1' (did you mean 'priority'?)", 1 },
        { "vrid-range",
          "vrrp:\n  instances:\n    VI_1:\n      interface: eth0\n      virtual_router_id: 300\n"
          "      virtual_addresses: [10.0.0.1/24]\n",
          "t.yaml:5:26: error: virtual_router_id: 300 is out of range 1..255", 1 },
};

static void test_case(void **state) {
        const ErrCase *t = *state;
        _cleanup_free_ char *diags = NULL;
        size_t errors = 0;
        Config *c = NULL;
        int r = load_text(t->yaml, &c, &diags, &errors);
        config_free(c);
        if (!strstr(diags, t->expect))
                fail_msg("%s: expected\n  %s\ngot\n%s", t->name, t->expect, diags);
        if (r != -EINVAL)
                fail_msg("%s: load returned %d, expected -EINVAL", t->name, r);
        if ((size_t) (t->errors ? t->errors : 1) != errors)
                fail_msg("%s: expected %d error(s), got %zu:\n%s", t->name, t->errors ? t->errors : 1, errors, diags);
}

int main(void) {
        struct CMUnitTest *tests = calloc(ELEMENTSOF(cases), sizeof(struct CMUnitTest));
        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                tests[i] = (struct CMUnitTest) {
                        .name = cases[i].name,
                        .test_func = test_case,
                        .initial_state = (void *) &cases[i],
                };
        int r = _cmocka_run_group_tests("conf-errors", tests, ELEMENTSOF(cases), NULL, NULL);
        free(tests);
        return r;
}
