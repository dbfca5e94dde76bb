/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The keepalived.conf tokenizer/parser on hand-written cases of each grammar
 * feature. Each case parses a buffer and compares the tree (dumped back in
 * keepalived syntax, one statement per line) or the diagnostics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kconf-tree.h"

static char *dump(const KcTree *t) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        assert_non_null(f);
        kc_tree_dump(t->root, f, 0);
        fclose(f);
        return buf;
}

static char *diags_text(const KcDiags *d) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        assert_non_null(f);
        kc_diags_print(d, f);
        fclose(f);
        return buf;
}

/* Parses and expects success with the given dump and number of warnings. */
static void expect_tree_id(const char *in, size_t len, const char *config_id, const char *expected,
                           size_t warnings) {
        KcDiags d = {};
        KcTree *t = NULL;
        int r = kc_parse_string("test.conf", in, len, config_id, &d, &t);
        if (r < 0) {
                char *s = diags_text(&d);
                fprintf(stderr, "unexpected failure %d:\n%s", r, s);
                free(s);
        }
        assert_int_equal(r, 0);
        assert_non_null(t);
        char *s = dump(t);
        if (!streq(s, expected))
                fprintf(stderr, "got:\n%s\nexpected:\n%s\n", s, expected);
        assert_string_equal(s, expected);
        if (d.n_warnings != warnings) {
                char *w = diags_text(&d);
                fprintf(stderr, "warnings:\n%s", w);
                free(w);
        }
        assert_int_equal(d.n_warnings, warnings);
        free(s);
        kc_tree_free(t);
        kc_diags_free(&d);
}

static void expect_tree(const char *in, const char *expected) {
        expect_tree_id(in, strlen(in), NULL, expected, 0);
}

/* Parses and expects failure; the diagnostics must contain needle. */
static void expect_error(const char *in, size_t len, const char *needle) {
        KcDiags d = {};
        KcTree *t = NULL;
        int r = kc_parse_string("bad.conf", in, len, NULL, &d, &t);
        if (r >= 0)
                fprintf(stderr, "unexpected success: %.*s\n", (int) MIN(len, 200), in);
        assert_true(r < 0);
        assert_null(t);
        assert_true(d.n_errors > 0);
        char *s = diags_text(&d);
        if (!strstr(s, needle))
                fprintf(stderr, "diagnostics:\n%s\nmissing: %s\n", s, needle);
        assert_non_null(strstr(s, needle));
        free(s);
        kc_diags_free(&d);
}

static void test_blocks(void **state) {
        expect_tree("global_defs {\n  router_id LVS_DEVEL\n}\n"
                    "vrrp_instance VI_1 {\n  virtual_ipaddress {\n    10.0.0.1/24 dev eth0\n  }\n}\n",
                    "global_defs {\n  router_id LVS_DEVEL\n}\n"
                    "vrrp_instance VI_1 {\n  virtual_ipaddress {\n    10.0.0.1/24 dev eth0\n  }\n}\n");
        /* empty blocks, and the file's last line without a newline */
        expect_tree("a {\n}\nb {}", "a {\n}\nb {\n}\n");
}

static void test_braces_anywhere(void **state) {
        /* same line as contents, several blocks on one line, closing and reopening */
        expect_tree("vrrp_instance VI_1{interface eth0\n authentication { auth_type PASS } }",
                    "vrrp_instance VI_1 {\n  interface eth0\n  authentication {\n    auth_type PASS\n  }\n}\n");
        expect_tree("a { b 1 } c { d 2 }\n", "a {\n  b 1\n}\nc {\n  d 2\n}\n");
        /* '{' on the next line (BSD style) */
        expect_tree("virtual_server 10.0.0.1 80\n{\n  delay_loop 6\n}\n",
                    "virtual_server 10.0.0.1 80 {\n  delay_loop 6\n}\n");
        /* "} x" starts a new statement after the block */
        expect_tree("a {\n} b 1\n", "a {\n}\nb 1\n");
}

static void test_comments(void **state) {
        expect_tree("! Configuration File for keepalived\n"
                    "# hash comment\n"
                    "global_defs {   # trailing hash\n"
                    "   router_id r1 ! trailing bang\n"
                    "   smtp_server 10.0.0.1#glued\n"
                    "}\n"
                    "   ! indented bang\n",
                    "global_defs {\n  router_id r1\n  smtp_server 10.0.0.1\n}\n");
        /* comment characters inside quotes are data */
        expect_tree("script \"/bin/check #1 !x\" # real comment\n", "script \"/bin/check #1 !x\"\n");
        /* UTF-8 comments (Chinese), and non-UTF-8 (GBK) bytes inside comments are fine */
        expect_tree("priority 100 # 主节点优先级\n# 备注\xc4\xe3\xba\xc3\n", "priority 100\n");
}

static void test_line_endings(void **state) {
        expect_tree("global_defs {\r\n\trouter_id\tr1\r\n}\r\n", "global_defs {\n  router_id r1\n}\n");
        /* a UTF-8 byte order mark (Windows editors) is not part of the first keyword */
        expect_tree("\xef\xbb\xbfglobal_defs {\r\n}\r\n", "global_defs {\n}\n");
        expect_tree("a 1\r\n\r\n  \t \r\nb 2", "a 1\nb 2\n");
}

static void test_quotes(void **state) {
        expect_tree("notify_master \"/usr/bin/x.sh  MASTER VI_1\"\n", "notify_master \"/usr/bin/x.sh  MASTER VI_1\"\n");
        /* quotes group inside a word; single quotes too */
        expect_tree("a abcd\" efg h \"mnop 'q r'\n", "a \"abcd efg h mnop\" \"q r\"\n");
        /* a quoted brace is a word, not a block */
        expect_tree("a \"{\" \"}\"\n", "a \"{\" \"}\"\n");
        /* escapes inside quotes */
        expect_tree("a \"x\\ty\" \"q\\\"q\" \"\\x41\\101\"\n", "a \"x\\x09y\" \"q\\\"q\" AA\n");
        /* empty quoted string is an argument */
        expect_tree("a \"\"\n", "a \"\"\n");
}

static void test_conditionals(void **state) {
        static const char in[] = "@high priority 170\n@low priority 85\n@^high weight 1\nstate BACKUP\n";
        expect_tree_id(in, strlen(in), "high", "priority 170\nstate BACKUP\n", 0);
        expect_tree_id(in, strlen(in), "low", "priority 85\nweight 1\nstate BACKUP\n", 0);
        /* without a config id each conditional line is reported and skipped */
        expect_tree_id(in, strlen(in), NULL, "state BACKUP\n", 3);
}

static void test_parameters(void **state) {
        expect_tree("$PRIO=150\npriority $PRIO\n", "priority 150\n");
        /* ${} need not be followed by a blank; recursion at replacement time */
        expect_tree("$ADDRESS_BASE=10.2.${ADDRESS_BASE_SUB}\n$ADDRESS_BASE_SUB=0\n${ADDRESS_BASE}.100/32\n"
                    "$ADDRESS_BASE_SUB=10\n${ADDRESS_BASE}.100/32\n",
                    "10.2.0.100/32\n10.2.10.100/32\n");
        /* $NAME glued to other text is not a reference; undefined ones stay */
        expect_tree("$A=x\nb $Ay ${UNDEF} $UNDEF\n", "b $Ay \"${UNDEF}\" $UNDEF\n");
        /* with conditionals */
        static const char c[] = "@main $PRIORITY=240\n@backup $PRIORITY=200\npriority $PRIORITY\n";
        expect_tree_id(c, strlen(c), "backup", "priority 200\n", 0);
        /* a parameter can carry a conditional */
        static const char c2[] = "$IF_MAIN=@main\n$IF_MAIN priority 240\nx 1\n";
        expect_tree_id(c2, strlen(c2), "main", "priority 240\nx 1\n", 0);
        expect_tree_id(c2, strlen(c2), "other", "x 1\n", 0);
        /* predefined */
        expect_tree("a ${_HASH}x ${_BANG}\n", "a \"#x\" \"!\"\n");
        expect_tree("a ${_PWD}\n", "a .\n");
        /* multi-line definitions, nested references */
        expect_tree("$RS= \\\n"
                    "real_server 10.0.0.${N} 80 { \\\n"
                    "   weight ${N} \\\n"
                    "}\n"
                    "virtual_server 10.0.0.100 80 {\n"
                    "$N=1\n$RS\n$N=2\n$RS\n"
                    "}\n",
                    "virtual_server 10.0.0.100 80 {\n"
                    "  real_server 10.0.0.1 80 {\n    weight 1\n  }\n"
                    "  real_server 10.0.0.2 80 {\n    weight 2\n  }\n}\n");
}

static void test_unsupported_preprocessor(void **state) {
        static const char in[] = "~SEQ(X, 1, 3) a ${X}\nb 1\n";
        expect_tree_id(in, strlen(in), NULL, "b 1\n", 1);
}

static void test_errors(void **state) {
        expect_error("a {\n b 1\n", 3, "bad.conf:1: error: unbalanced '{'");
        expect_error("a {\n b 1\n", 9, "bad.conf:1: error: unbalanced '{': block 'a'");
        expect_error("a 1\n}\n", 6, "bad.conf:2: error: unbalanced '}'");
        expect_error("{\n", 2, "bad.conf:1: error: '{' without a keyword");
        expect_error("a \"open\n", 8, "bad.conf:1: error: unterminated quoted string");
        expect_error("a 1\nb \0\x01\x02\n", 9, "bad.conf:2: error: NUL byte");
        expect_error("a \xff\xfe\n", 5, "bad.conf:1: error: invalid UTF-8");
        expect_error("a \"\\0\"\n", 7, "bad.conf:1: error: NUL character");
        expect_error("include /etc/keepalived/*.conf\n", 31, "bad.conf:1: error: 'include /etc/keepalived/*.conf'");
        /* a self-referencing parameter does not hang */
        expect_error("$A=x${A}\nv ${A}\n", 16, "bad.conf:2: error: parameter definitions refer to each other");
        /* exponential expansion is bounded */
        expect_error("$A=xxxxxxxxxxxxxxxx\n$B=${A}${A}${A}${A}${A}${A}${A}${A}\n$C=${B}${B}${B}${B}${B}${B}${B}${B}\n"
                     "$D=${C}${C}${C}${C}${C}${C}${C}${C}\n$E=${D}${D}${D}${D}${D}${D}${D}${D}\n"
                     "$F=${E}${E}${E}${E}${E}${E}${E}${E}\n$G=${F}${F}${F}${F}${F}${F}${F}${F}\nx ${G}\n",
                     strlen("$A=xxxxxxxxxxxxxxxx\n$B=${A}${A}${A}${A}${A}${A}${A}${A}\n$C=${B}${B}${B}${B}${B}${B}${B}${B}\n"
                            "$D=${C}${C}${C}${C}${C}${C}${C}${C}\n$E=${D}${D}${D}${D}${D}${D}${D}${D}\n"
                            "$F=${E}${E}${E}${E}${E}${E}${E}${E}\n$G=${F}${F}${F}${F}${F}${F}${F}${F}\nx ${G}\n"),
                     "bad.conf:8: error: parameter substitution produces more than");
}

static void test_deep_nesting(void **state) {
        size_t n = 10000;
        char *s = malloc(n * 4 + 1);
        assert_non_null(s);
        for (size_t i = 0; i < n; i++)
                memcpy(s + i * 2, "a{", 2);
        for (size_t i = 0; i < n; i++)
                memcpy(s + n * 2 + i * 2, "}\n", 2);
        s[n * 4] = '\0';
        expect_error(s, n * 4, "bad.conf:1: error: blocks nested more than 64 deep");
        free(s);
}

static void test_garbage_gives_up(void **state) {
        /* many bad lines: the parser stops after a bounded number of errors */
        size_t n = 5000;
        char *s = malloc(n * 4);
        for (size_t i = 0; i < n; i++)
                memcpy(s + i * 4, "}}}\n", 4);
        KcDiags d = {};
        KcTree *t = NULL;
        assert_true(kc_parse_string("g.conf", s, n * 4, NULL, &d, &t) < 0);
        assert_true(d.n_errors <= KC_MAX_ERRORS + 1);
        kc_diags_free(&d);
        free(s);
}

static void test_split_command(void **state) {
        char **v = NULL;
        assert_int_equal(kc_split_command("/usr/local/bin/vrrp.sh  MASTER  VI_1", &v), 0);
        assert_int_equal(strv_length(v), 3);
        assert_string_equal(v[0], "/usr/local/bin/vrrp.sh");
        assert_string_equal(v[2], "VI_1");
        strv_free(v);
        assert_int_equal(kc_split_command("bash -c '</dev/tcp/127.0.0.1/80' \"a b\" c\\ d", &v), 0);
        assert_int_equal(strv_length(v), 5);
        assert_string_equal(v[2], "</dev/tcp/127.0.0.1/80");
        assert_string_equal(v[3], "a b");
        assert_string_equal(v[4], "c d");
        strv_free(v);
        assert_int_equal(kc_split_command("x 'open", &v), -EINVAL);
        assert_int_equal(kc_split_command("   ", &v), 0);
        assert_int_equal(strv_length(v), 0);
        strv_free(v);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_blocks),         cmocka_unit_test(test_braces_anywhere),
                cmocka_unit_test(test_comments),       cmocka_unit_test(test_line_endings),
                cmocka_unit_test(test_quotes),         cmocka_unit_test(test_conditionals),
                cmocka_unit_test(test_parameters),     cmocka_unit_test(test_unsupported_preprocessor),
                cmocka_unit_test(test_errors),         cmocka_unit_test(test_deep_nesting),
                cmocka_unit_test(test_garbage_gives_up), cmocka_unit_test(test_split_command),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
