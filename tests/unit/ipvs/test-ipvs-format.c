/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ipvsadm-save import, YAML export (round trip through the real config
 * loader), ipvsadm -Ln listings compared with text ipvsadm 1.31 printed for
 * the same table in the test guest, and /proc/net/ip_vs_conn parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "conf.h"
#include "ipvs-format.h"
#include "macro.h"

/* Observed `ipvsadm -Sn` in the guest (kernel 6.1, ipvsadm 1.31). */
static const char save_text[] =
        "-A -t 10.1.0.100:80 -s sh -p 300 -M 255.255.255.0 -b sh-fallback,sh-port\n"
        "-a -t 10.1.0.100:80 -r 10.2.0.1:80 -g -w 3\n"
        "-a -t 10.1.0.100:80 -r 10.2.0.2:80 -i -w 1 --tun-type gue --tun-port 6080 --tun-nocsum\n"
        "-A -u 10.1.0.100:53 -s rr -o\n"
        "-a -u 10.1.0.100:53 -r 10.1.0.5:5353 -m -w 1\n"
        "-A --sctp-service 10.1.0.100:9 -s rr\n"
        "-a --sctp-service 10.1.0.100:9 -r 10.2.0.9:9 -i -w 1 --tun-type gre --tun-nocsum\n"
        "-A -t [2001:db8::1]:443 -s lc\n"
        "-a -t [2001:db8::1]:443 -r [2001:db8::5]:443 -m -w 0\n"
        "-A -f 7 -s wlc -p 360\n"
        "-a -f 7 -r 10.2.0.3:0 -g -w 2\n"
        "-A -f 8 -6 -s mh -p 60 -M 64 -b mh-port\n";

/* Observed `ipvsadm -Ln` for the same table (without the 10.2.0.7 tunnel
 * dest and the fwmark 7 dest, version line dropped). */
static const char list_text[] =
        "Prot LocalAddress:Port Scheduler Flags\n"
        "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
        "TCP  10.1.0.100:80 sh (sh-fallback,sh-port) persistent 300 mask 255.255.255.0\n"
        "  -> 10.2.0.1:80                  Route   3      0          0         \n"
        "  -> 10.2.0.2:80                  Tunnel  1      0          0         \n"
        "UDP  10.1.0.100:53 rr ops\n"
        "  -> 10.1.0.5:5353                Masq    1      0          0         \n"
        "SCTP 10.1.0.100:9 rr\n"
        "  -> 10.2.0.9:9                   Tunnel  1      0          0         \n"
        "TCP  [2001:db8::1]:443 lc\n"
        "  -> [2001:db8::5]:443            Masq    0      0          0         \n"
        "FWM  7 wlc persistent 360\n"
        "FWM  8 IPv6 mh (mh-port) persistent 60 mask 64\n";

static const char stats_head[] =
        "Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes\n"
        "  -> RemoteAddress:Port\n";

static char *to_string(int (*fn)(const IpvsTable *, FILE *), const IpvsTable *t) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        assert_non_null(f);
        assert_int_equal(fn(t, f), 0);
        fclose(f);
        return buf;
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Lines sorted: the kernel lists services in hash order, vigil in key order. */
static char *sorted_lines(const char *text) {
        char *copy = strdup(text), *lines[256], *s = copy, *l;
        size_t n = 0, total = 0;
        while ((l = strsep(&s, "\n")))
                if (*l && n < ELEMENTSOF(lines))
                        lines[n++] = l, total += strlen(l) + 1;
        qsort(lines, n, sizeof(char *), cmp_str);
        char *out = calloc(1, total + 1);
        for (size_t i = 0; i < n; i++)
                strcat(strcat(out, lines[i]), "\n");
        free(copy);
        return out;
}

static void test_import_save_roundtrip(void **state) {
        _cleanup_ipvs_table_ IpvsTable t = {};
        char err[256];

        assert_int_equal(ipvs_import_save(save_text, strlen(save_text), &t, err, sizeof err), 0);
        assert_int_equal(t.n_services, 6);
        _cleanup_free_ char *out = to_string(ipvs_table_format_save, &t);
        _cleanup_free_ char *a = sorted_lines(save_text), *b = sorted_lines(out);
        assert_string_equal(b, a);
}

static void test_import_yaml_through_config_loader(void **state) {
        _cleanup_ipvs_table_ IpvsTable t = {}, back = {};
        _cleanup_free_ char *yaml = NULL, *again = NULL;
        char err[256];
        Config *c = NULL;
        ConfDiags d = {};
        /* with thresholds and a mixed-forwarding service */
        const char *in =
                "# a comment\n-C\n"
                "-A -t 10.1.0.100:80 -s wrr\n"
                "-a -t 10.1.0.100:80 -r 10.2.0.1:80 -g -w 3 -x 100 -y 10\n"
                "-a -t 10.1.0.100:80 -r 10.2.0.2:80 -g -w 1\n"
                "-a -t 10.1.0.100:80 -r 10.2.0.3 -i -w 2 --tun-type gue --tun-port 6080\n"
                "-A -u [2001:db8::1]:53 -s rr -o -p 120 -M 64\n"
                "-a -u [2001:db8::1]:53 -r [2001:db8::7]:5353 -m\n"
                "-A -f 9 -s sh -b sh-port -p\n"
                "-a -f 9 -r 10.2.0.4 -g -w 0\n";

        assert_int_equal(ipvs_import_save(in, strlen(in), &t, err, sizeof err), 0);
        FILE *f;
        size_t len = 0;
        assert_non_null(f = open_memstream(&yaml, &len));
        assert_int_equal(ipvs_table_format_yaml(&t, f), 0);
        fclose(f);

        int r = config_load_string("import.yaml", yaml, strlen(yaml), &c, &d);
        if (r < 0) {
                conf_diags_print(&d, stderr);
                fail_msg("the imported YAML does not load:\n%s", yaml);
        }
        assert_int_equal(ipvs_desired_build(c, NULL, &back, &d), 0);
        again = to_string(ipvs_table_format_save, &back);
        _cleanup_free_ char *orig = to_string(ipvs_table_format_save, &t);
        _cleanup_free_ char *x = sorted_lines(orig), *y = sorted_lines(again);
        assert_string_equal(y, x);
        assert_non_null(strstr(again, "-r 10.2.0.1:80 -g -w 3 -x 100 -y 10"));
        assert_non_null(strstr(again, "-A -f 9 -s sh -p 300 -b sh-port"));
        config_free(c);
        conf_diags_free(&d);
}

static void test_import_errors(void **state) {
        static const struct {
                const char *in, *err;
        } cases[] = {
                { "-A -t 10.0.0.1:80 -s rr -z\n", "line 1: unknown option '-z'" },
                { "\n-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g\n", "line 2: -a for a service not added before with -A" },
                { "-A -t 10.0.0.1:80\n-a -t 10.0.0.1:80 -r 10.0.0.2 -w 70000\n", "line 2: -w: '70000' is not a weight (0..65535)" },
                { "-A -t 10.0.0.1\n", "line 1: -t: '10.0.0.1' is not ADDRESS:PORT" },
                { "-A -t 10.0.0.1:80 -s\n", "line 1: option -s needs a value" },
                { "-A -t 10.0.0.1:80 -M 255.0.255.0 -p\n", "line 1: -M: '255.0.255.0' is not a contiguous netmask" },
                { "-A -t 10.0.0.1:80\n-A -t 10.0.0.1:80\n", "line 2: service defined twice" },
                { "-A -t 10.0.0.1:80\n-a -t 10.0.0.1:80 -r 10.0.0.2\n-a -t 10.0.0.1:80 -r 10.0.0.2:80\n", "line 3: real server listed twice" },
                { "-A -f 0\n", "line 1: -f: '0' is not a firewall mark" },
                { "-A -t 10.0.0.1:80 -b sh-nope\n", "line 1: -b: unknown scheduler flag 'sh-nope'" },
                { "hello\n", "line 1: unknown option 'hello'" },
                { "-t 10.0.0.1:80\n", "line 1: no -A or -a" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                IpvsTable t = {};
                char err[256];
                assert_int_equal(ipvs_import_save(cases[i].in, strlen(cases[i].in), &t, err, sizeof err), -EINVAL);
                if (!strstr(err, cases[i].err))
                        fail_msg("case %zu: expected \"%s\", got \"%s\"", i, cases[i].err, err);
                assert_null(t.services);
        }
        /* NUL bytes and overlong lines are refused, not truncated */
        IpvsTable t = {};
        char err[256];
        const char nul[] = "-A -t 10.0.0.1:80\0 -s rr\n";
        assert_int_equal(ipvs_import_save(nul, sizeof nul - 1, &t, err, sizeof err), -EINVAL);
        char *big = malloc(10000);
        memset(big, 'x', 9999);
        big[9999] = 0;
        assert_int_equal(ipvs_import_save(big, 9999, &t, err, sizeof err), -EINVAL);
        assert_non_null(strstr(err, "longer than"));
        free(big);
}

static void test_list_like_ipvsadm(void **state) {
        _cleanup_ipvs_table_ IpvsTable t = {};
        _cleanup_free_ char *out = NULL, *a = NULL, *b = NULL;
        char err[256];
        size_t len = 0;

        assert_int_equal(ipvs_import_save(save_text, strlen(save_text), &t, err, sizeof err), 0);
        FILE *f = open_memstream(&out, &len);
        assert_int_equal(ipvs_table_format_list(&t, 0, f), 0);
        fclose(f);
        a = sorted_lines(list_text);
        b = sorted_lines(out);
        /* the fwmark 7 dest is in our table, not in the observed listing */
        assert_non_null(strstr(b, "  -> 10.2.0.3:0                   Route   2      0          0         \n"));
        char *p = strstr(b, "  -> 10.2.0.3:0 ");
        memmove(p, strchr(p, '\n') + 1, strlen(strchr(p, '\n') + 1) + 1);
        assert_string_equal(b, a);
        /* headers are ipvsadm's, fixed */
        assert_int_equal(strncmp(out, list_text, 111), 0);

        /* stats: widths, K/M/G suffixes, --exact */
        t.services[0].stats = (IpvsStats) { .conns = 5, .inpkts = 123456789, .outpkts = 1500000000ULL,
                                            .inbytes = 250000000000ULL, .outbytes = 99999999 };
        _cleanup_free_ char *st = NULL, *ex = NULL;
        IpvsTable one = { .services = t.services, .n_services = 1 };
        size_t l1 = 0, l2 = 0;
        f = open_memstream(&st, &l1);
        ipvs_table_format_list(&one, IPVS_LIST_STATS, f);
        fclose(f);
        assert_int_equal(strncmp(st, stats_head, strlen(stats_head)), 0);
        assert_non_null(strstr(st, "TCP  10.1.0.100:80                       5  123456K    1500M     250G 99999999\n"));
        f = open_memstream(&ex, &l2);
        ipvs_table_format_list(&one, IPVS_LIST_STATS | IPVS_LIST_EXACT, f);
        fclose(f);
        assert_non_null(strstr(ex, "TCP  10.1.0.100:80                       5 123456789 1500000000 250000000000 99999999\n"));
}

static void test_conn_parse(void **state) {
        IpvsConn c;
        char *out = NULL;
        size_t len = 0;

        assert_int_equal(ipvs_conn_parse_line("Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\n", &c), -ENODATA);
        assert_int_equal(ipvs_conn_parse_line("TCP 0A010002 B7A2 0A010064 0050 0A020001 0050 ESTABLISHED     899\n", &c), 0);
        assert_string_equal(c.state, "ESTABLISHED");
        assert_int_equal(c.cport, 0xb7a2);
        assert_int_equal(c.expires, 899);
        FILE *f = open_memstream(&out, &len);
        ipvs_conn_format(&c, f);
        assert_int_equal(ipvs_conn_parse_line("UDP 2001:0db8:0000:0000:0000:0000:0000:0009 0035 2001:0db8:0000:0000:0000:0000:0000:0001 0035 2001:0db8:0000:0000:0000:0000:0000:0005 1435 UDP             59 \n", &c), 0);
        ipvs_conn_format(&c, f);
        fclose(f);
        assert_string_equal(out,
                "TCP 14:59  ESTABLISHED 10.1.0.2:47010     10.1.0.100:80      10.2.0.1:80\n"
                "UDP 00:59  UDP         [2001:db8::9]:53   [2001:db8::1]:53   [2001:db8::5]:5173\n");
        free(out);
        const char *bad[] = { "", "TCP", "TCP 0A01000 B7A2 0A010064 0050 0A020001 0050 X 1",
                              "TCP 0A010002 1B7A2 0A010064 0050 0A020001 0050 X 1", "TCP 0A010002 B7A2 0A010064 0050 0A020001 0050 X -1",
                              "TCP 0A010002 B7A2 2001:db8::1 0050 0A020001 0050 X 1" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                assert_int_equal(ipvs_conn_parse_line(bad[i], &c), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_import_save_roundtrip),
                cmocka_unit_test(test_import_yaml_through_config_loader),
                cmocka_unit_test(test_import_errors),
                cmocka_unit_test(test_list_like_ipvsadm),
                cmocka_unit_test(test_conn_parse),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
