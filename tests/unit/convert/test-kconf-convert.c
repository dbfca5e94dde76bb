/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Semantic round trip: keepalived.conf text → converter → YAML → the config
 * model (config_load_string, with validation) → assert the values equal what
 * the keepalived source means (VIPs, priorities, real servers, schedulers,
 * check options, keepalived defaults made explicit). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "convert.h"

static char *convert(const char *in, const char *config_id, KcDiags *d) {
        char *yaml = NULL;
        int r = kc_convert_string("test.conf", in, strlen(in), config_id, d, &yaml);
        if (r < 0)
                kc_diags_print(d, stderr);
        assert_int_equal(r, 0);
        assert_non_null(yaml);
        return yaml;
}

static Config *load(const char *yaml) {
        ConfDiags cd = {};
        Config *c = NULL;
        int r = config_load_string("converted.yaml", yaml, strlen(yaml), &c, &cd);
        if (r < 0) {
                fprintf(stderr, "--- converted YAML ---\n%s\n--- config model ---\n", yaml);
                conf_diags_print(&cd, stderr);
        }
        assert_int_equal(r, 0);
        conf_diags_free(&cd);
        return c;
}

static Config *convert_load(const char *in, const char *config_id, KcDiags *d, char **ret_yaml) {
        char *yaml = convert(in, config_id, d);
        Config *c = load(yaml);
        if (ret_yaml)
                *ret_yaml = yaml;
        else
                free(yaml);
        return c;
}

static bool addr_is(const InAddrPrefix *p, const char *s, unsigned prefixlen) {
        InAddrPrefix q;
        assert_int_equal(parse_address_prefix(s, &q), 0);
        return p->family == q.family && address_equal(p->family, &p->addr, &q.addr) && p->prefixlen == prefixlen;
}

static bool diags_contain(const KcDiags *d, unsigned line, const char *needle) {
        for (size_t i = 0; i < d->n; i++)
                if (d->items[i].line == line && strstr(d->items[i].message, needle))
                        return true;
        return false;
}

static const VirtualServerConf *find_vs(const Config *c, const char *id) {
        for (size_t i = 0; i < c->n_virtual_servers; i++)
                if (streq(strna(c->virtual_servers[i].id), id))
                        return &c->virtual_servers[i];
        fprintf(stderr, "no virtual server %s\n", id);
        fail();
        return NULL;
}

/* The classic tutorial, as pasted from a blog: CRLF, Chinese comments,
 * trailing comments, braces on content lines, several statements per line. */
static const char tutorial[] =
        "! Configuration File for keepalived\r\n"
        "global_defs {\r\n"
        "   router_id LVS_DEVEL   # 路由器标识\r\n"
        "}\r\n"
        "vrrp_script chk_nginx {\r\n"
        "    script \"/usr/bin/test -e /run/nginx.pid\"   # 检查 nginx 进程\r\n"
        "    interval 2\r\n"
        "    weight -20\r\n"
        "    fall 3\r\n"
        "    rise 2\r\n"
        "}\r\n"
        "vrrp_instance VI_1 {\r\n"
        "    state MASTER          ! 主节点\r\n"
        "    interface eth0\r\n"
        "\tvirtual_router_id 51\r\n"
        "    priority 150\r\n"
        "    advert_int 1\r\n"
        "    authentication { auth_type PASS auth_pass 11112222 }\r\n"
        "    unicast_src_ip 10.0.0.1\r\n"
        "    unicast_peer {\r\n"
        "        10.0.0.2\r\n"
        "    }\r\n"
        "    virtual_ipaddress {\r\n"
        "        192.168.182.100/24 dev eth0 label eth0:7\r\n"
        "        192.168.182.101\r\n"
        "    }\r\n"
        "    track_interface { eth1 weight -10 }\r\n"
        "    track_script {\r\n"
        "        chk_nginx\r\n"
        "    }\r\n"
        "    notify_master \"/etc/keepalived/notify.sh master\"\r\n"
        "}\r\n"
        "virtual_server 192.168.182.100 80 {\r\n"
        "    delay_loop 6\r\n"
        "    lb_algo wrr\r\n"
        "    lb_kind DR\r\n"
        "    persistence_timeout 50\r\n"
        "    protocol TCP\r\n"
        "    real_server 192.168.182.130 80 {\r\n"
        "        weight 3\r\n"
        "        HTTP_GET {\r\n"
        "            url {\r\n"
        "              path /health\r\n"
        "              status_code 200\r\n"
        "            }\r\n"
        "            connect_timeout 3\r\n"
        "            nb_get_retry 3\r\n"
        "            delay_before_retry 2\r\n"
        "        }\r\n"
        "    }\r\n"
        "    real_server 192.168.182.131 80 {\r\n"
        "        weight 1 inhibit_on_failure\r\n"
        "        TCP_CHECK { connect_port 8080 connect_timeout 2 }\r\n"
        "    }\r\n"
        "}\r\n";

static void test_tutorial(void **state) {
        KcDiags d = {};
        Config *c = convert_load(tutorial, NULL, &d, NULL);

        assert_int_equal(d.n_errors, 0);
        assert_int_equal(d.n_warnings, 0);
        assert_string_equal(c->global.router_id, "LVS_DEVEL");
        assert_false(c->global.vrrp_strict);

        const VrrpInstanceConf *i = config_find_instance(c, "VI_1");
        assert_non_null(i);
        assert_string_equal(i->interface, "eth0");
        assert_int_equal(i->virtual_router_id, 51);
        assert_int_equal(i->priority, 150);
        assert_int_equal(i->initial_state, VRRP_INITIAL_MASTER);
        assert_int_equal(i->version, 2); /* keepalived's default, not vigil's 3 */
        assert_int_equal(i->advert_interval, USEC_PER_SEC);
        assert_true(i->preempt);
        assert_true(i->accept); /* keepalived's default without vrrp_strict */
        assert_string_equal(i->auth_pass, "11112222");
        assert_true(i->unicast);
        assert_true(addr_is(&i->unicast_source, "10.0.0.1", 32));
        assert_int_equal(i->n_unicast_peers, 1);
        assert_true(addr_is(&i->unicast_peers[0], "10.0.0.2", 32));
        assert_int_equal(i->n_virtual_addresses, 2);
        assert_true(addr_is(&i->virtual_addresses[0].addr, "192.168.182.100", 24));
        assert_string_equal(i->virtual_addresses[0].device, "eth0");
        assert_string_equal(i->virtual_addresses[0].label, "eth0:7");
        assert_true(addr_is(&i->virtual_addresses[1].addr, "192.168.182.101", 32));
        assert_int_equal(i->n_track_interfaces, 1);
        assert_string_equal(i->track_interfaces[0].name, "eth1");
        assert_true(i->track_interfaces[0].has_weight);
        assert_int_equal(i->track_interfaces[0].weight, -10);
        assert_int_equal(i->n_track_checks, 1);
        assert_string_equal(i->track_checks[0].name, "chk_nginx");
        assert_true(i->track_checks[0].has_weight);
        assert_int_equal(i->track_checks[0].weight, -20); /* the script's weight */

        const CheckConf *ch = config_find_check(c, "chk_nginx");
        assert_non_null(ch);
        assert_int_equal(ch->type, CHECK_EXEC);
        assert_false(ch->shell);
        assert_int_equal(strv_length(ch->command), 3);
        assert_string_equal(ch->command[0], "/usr/bin/test");
        assert_string_equal(ch->command[2], "/run/nginx.pid");
        assert_int_equal(ch->interval, 2 * USEC_PER_SEC);
        assert_int_equal(ch->fall, 3);
        assert_int_equal(ch->rise, 2);
        assert_int_equal(ch->timeout, 2 * USEC_PER_SEC); /* keepalived: a script's timeout is its interval */

        assert_int_equal(c->n_notify, 1);
        assert_int_equal(c->notify[0].kind, NOTIFY_INSTANCE);
        assert_string_equal(c->notify[0].name, "VI_1");
        assert_int_equal(strv_length(c->notify[0].notify_master), 2);
        assert_string_equal(c->notify[0].notify_master[0], "/etc/keepalived/notify.sh");
        assert_string_equal(c->notify[0].notify_master[1], "master");

        assert_int_equal(c->n_virtual_servers, 1);
        const VirtualServerConf *vs = find_vs(c, "tcp:192.168.182.100:80");
        assert_string_equal(vs->scheduler, "wrr");
        assert_int_equal(vs->forwarding, FORWARDING_DR);
        assert_int_equal(vs->protocol, IPVS_PROTO_TCP);
        assert_int_equal(vs->persistence_timeout, 50 * USEC_PER_SEC);
        assert_int_equal(vs->delay_loop, 6 * USEC_PER_SEC);
        assert_false(vs->inhibit_on_failure); /* keepalived removes failed real servers */
        assert_int_equal(vs->n_real_servers, 2);

        const RealServerConf *rs = &vs->real_servers[0];
        assert_true(addr_is(&rs->address, "192.168.182.130", 32));
        assert_int_equal(rs->port, 80);
        assert_int_equal(rs->weight, 3);
        assert_false(rs->inhibit_on_failure);
        assert_non_null(rs->check);
        assert_int_equal(rs->check->type, CHECK_HTTP);
        assert_string_equal(rs->check->path, "/health");
        assert_int_equal(rs->check->n_status, 1);
        assert_int_equal(rs->check->status[0].lo, 200);
        assert_int_equal(rs->check->status[0].hi, 200);
        assert_int_equal(rs->check->timeout, 3 * USEC_PER_SEC);
        assert_int_equal(rs->check->retry, 3);
        assert_int_equal(rs->check->delay_before_retry, 2 * USEC_PER_SEC);
        assert_int_equal(rs->check->interval, 6 * USEC_PER_SEC); /* the service's delay_loop */

        rs = &vs->real_servers[1];
        assert_int_equal(rs->weight, 1);
        assert_true(rs->inhibit_on_failure); /* "weight 1 inhibit_on_failure" on one line */
        assert_int_equal(rs->check->type, CHECK_TCP);
        assert_int_equal(rs->check->port, 8080);
        assert_int_equal(rs->check->timeout, 2 * USEC_PER_SEC);
        assert_int_equal(rs->check->retry, 1); /* keepalived's default retry */
        assert_int_equal(rs->check->delay_before_retry, USEC_PER_SEC);

        config_free(c);
        kc_diags_free(&d);
}

/* keepalived's defaults, where vigil's differ, must come out explicitly. */
static void test_defaults(void **state) {
        static const char in[] =
                "vrrp_instance V {\n interface eth0\n virtual_router_id 7\n virtual_ipaddress {\n 10.1.1.1\n }\n}\n"
                "virtual_server 10.1.1.1 443 {\n"
                "  persistence_timeout\n"
                "  real_server 10.2.0.1 443 {\n   TCP_CHECK {\n   }\n  }\n"
                "  real_server 10.2.0.2 443 {\n   MISC_CHECK {\n    misc_path \"/bin/true --probe 'a b'\"\n    misc_dynamic\n   }\n  }\n"
                "  real_server 10.2.0.3 443 {\n   DNS_CHECK {\n    type a\n    name example.org\n   }\n  }\n"
                "}\n"
                "virtual_server 10.1.1.2 {\n  real_server 10.2.0.9 {\n  }\n}\n";
        KcDiags d = {};
        Config *c = convert_load(in, NULL, &d, NULL);

        const VrrpInstanceConf *i = config_find_instance(c, "V");
        assert_int_equal(i->priority, 100);
        assert_int_equal(i->version, 2);
        assert_int_equal(i->initial_state, VRRP_INITIAL_BACKUP);
        assert_true(i->preempt);
        assert_true(i->accept); /* keepalived accepts unless vrrp_strict */
        assert_int_equal(i->advert_interval, USEC_PER_SEC);

        const VirtualServerConf *vs = &c->virtual_servers[0];
        assert_string_equal(vs->scheduler, "wlc");
        assert_int_equal(vs->forwarding, FORWARDING_NAT);
        assert_int_equal(vs->delay_loop, 60 * USEC_PER_SEC);
        assert_int_equal(vs->persistence_timeout, 360 * USEC_PER_SEC);
        assert_int_equal(vs->quorum, 1);
        assert_false(vs->inhibit_on_failure);
        assert_int_equal(vs->real_servers[0].weight, 1);

        const CheckConf *tcp = vs->real_servers[0].check, *misc = vs->real_servers[1].check,
                        *dns = vs->real_servers[2].check;
        assert_int_equal(tcp->retry, 1);
        assert_int_equal(tcp->timeout, 5 * USEC_PER_SEC);
        assert_int_equal(tcp->interval, 60 * USEC_PER_SEC);
        assert_int_equal(misc->type, CHECK_EXEC);
        assert_int_equal(misc->retry, 0);
        assert_true(misc->dynamic);
        assert_int_equal(misc->timeout, 60 * USEC_PER_SEC); /* misc_timeout defaults to delay_loop */
        assert_int_equal(strv_length(misc->command), 3);
        assert_string_equal(misc->command[0], "/bin/true");
        assert_string_equal(misc->command[2], "a b");
        assert_int_equal(dns->type, CHECK_DNS);
        assert_int_equal(dns->retry, 3);
        assert_int_equal(dns->delay_before_retry, 60 * USEC_PER_SEC);
        assert_string_equal(dns->query_type, "A");
        assert_string_equal(dns->query_name, "example.org");

        /* no port: keepalived makes the service persistent (6 min) */
        vs = &c->virtual_servers[1];
        assert_int_equal(vs->port, 0);
        assert_int_equal(vs->persistence_timeout, 360 * USEC_PER_SEC);
        assert_true(diags_contain(&d, 27, "virtual_server without a port: persistent for 6 minutes"));

        config_free(c);
        kc_diags_free(&d);
}

static void test_checks_and_options(void **state) {
        static const char in[] =
                "SSL {\n ca /etc/ssl/ca.pem\n}\n"
                "virtual_server fwmark 5 {\n"                                                 /* 4 */
                "  lb_algo sh\n  lb_kind DR\n  sh-port\n  alpha\n  nat_mask 255.255.255.0\n"
                "  sorry_server 10.9.9.9 80\n"
                "  virtualhost www.example.org\n"
                "  real_server 10.2.0.1 443 {\n"                                              /* 12 */
                "    uthreshold 100\n    lthreshold 10\n"
                "    SSL_GET {\n      url {\n        path /ok\n        status_code 200-299 301\n      }\n"
                "      enable_sni\n    }\n"
                "    TCP_CHECK {\n    }\n"                                                     /* 22 */
                "  }\n"
                "  real_server 10.2.0.2 {\n    PING_CHECK {\n      retry 4\n    }\n  }\n"
                "  real_server 10.2.0.3 53 {\n    UDP_CHECK {\n      payload 0102 ab\n      require_reply 0x\n    }\n  }\n"
                "}\n";
        KcDiags d = {};
        char *yaml = NULL;
        Config *c = convert_load(in, NULL, &d, &yaml);

        /* the second checker is reported with its line, the first kept */
        assert_true(diags_contain(&d, 22, "keyword 'TCP_CHECK' not supported"));
        /* the YAML header repeats it */
        assert_non_null(strstr(yaml, "test.conf:22: keyword 'TCP_CHECK' not supported"));
        assert_non_null(strstr(yaml, "# Source: test.conf\n"));

        const VirtualServerConf *vs = find_vs(c, "fwmark:5");
        assert_int_equal(vs->fwmark, 5);
        assert_string_equal(vs->scheduler, "sh");
        assert_int_equal(vs->forwarding, FORWARDING_DR);
        assert_int_equal(strv_length(vs->flags), 1);
        assert_string_equal(vs->flags[0], "sh-port");
        assert_true(vs->has_sorry_server);
        assert_true(addr_is(&vs->sorry_server, "10.9.9.9", 32));
        assert_int_equal(vs->sorry_port, 80);

        const RealServerConf *rs = &vs->real_servers[0];
        assert_int_equal(rs->port, 0); /* DR: IPVS keeps the client's port */
        assert_int_equal(rs->upper_threshold, 100);
        assert_int_equal(rs->lower_threshold, 10);
        const CheckConf *https = rs->check;
        assert_int_equal(https->type, CHECK_HTTPS);
        assert_int_equal(https->port, 443); /* still checks the port keepalived checked */
        assert_false(https->tls_verify);
        assert_string_equal(https->virtualhost, "www.example.org");
        assert_string_equal(https->sni, "www.example.org");
        assert_string_equal(https->ca_file, "/etc/ssl/ca.pem");
        assert_int_equal(https->n_status, 2);
        assert_int_equal(https->status[0].lo, 200);
        assert_int_equal(https->status[0].hi, 299);
        assert_int_equal(https->status[1].lo, 301);
        assert_int_equal(https->initial_state, CHECK_INITIAL_DOWN); /* alpha */

        const CheckConf *ping = vs->real_servers[1].check;
        assert_int_equal(ping->type, CHECK_PING);
        assert_int_equal(ping->retry, 4);

        const CheckConf *udp = vs->real_servers[2].check;
        assert_int_equal(udp->type, CHECK_UDP);
        assert_string_equal(udp->payload, "\\x01\\x02\\xab");
        assert_true(udp->require_reply);
        assert_string_equal(udp->expect, "^.");

        free(yaml);
        config_free(c);
        kc_diags_free(&d);
}

static void test_groups_and_sync(void **state) {
        static const char in[] =
                "global_defs {\n lvs_sync_daemon eth9 VI_A id 12\n lvs_timeouts tcp 900 tcpfin 30 udp 300\n"
                " vrrp_garp_master_refresh 60\n}\n"
                "vrrp_sync_group G {\n  group {\n    VI_A VI_B\n  }\n  notify_fault \"/usr/bin/logger fault\"\n}\n"
                "vrrp_instance VI_A {\n interface eth0\n virtual_router_id 1\n nopreempt\n preempt_delay 30\n"
                " advert_int 0.5\n version 3\n garp_master_repeat 3\n use_vmac vrrp.1\n"
                " virtual_ipaddress {\n  10.0.0.10/24 brd 10.0.0.255 scope global\n }\n"
                " virtual_ipaddress_excluded {\n  10.0.0.11\n }\n}\n"
                "vrrp_instance VI_B {\n interface eth0\n virtual_router_id 2\n virtual_ipaddress {\n  fd00::10/64\n }\n}\n"
                "virtual_server_group WEB {\n  10.0.0.20-22 80\n  fwmark 9\n}\n"
                "virtual_server group WEB {\n  lb_kind DR\n  real_server 10.3.0.1 80 {\n   weight 2\n"
                "   notify_down \"/usr/local/bin/rs down\"\n   TCP_CHECK {\n   }\n  }\n}\n";
        KcDiags d = {};
        Config *c = convert_load(in, NULL, &d, NULL);

        const SyncGroupConf *g = config_find_sync_group(c, "G");
        assert_non_null(g);
        assert_int_equal(strv_length(g->members), 2);
        assert_string_equal(g->members[1], "VI_B");

        const VrrpInstanceConf *a = config_find_instance(c, "VI_A"), *b = config_find_instance(c, "VI_B");
        assert_false(a->preempt);
        assert_int_equal(a->preempt_delay, 30 * USEC_PER_SEC);
        assert_int_equal(a->version, 3);
        assert_int_equal(a->advert_interval, 500 * USEC_PER_MSEC);
        assert_int_equal(a->garp.repeat, 3);
        assert_int_equal(a->garp.refresh, 60 * USEC_PER_SEC); /* from global vrrp_garp_master_refresh */
        assert_true(a->use_vmac);
        assert_string_equal(a->vmac_interface, "vrrp.1");
        assert_true(a->virtual_addresses[0].has_broadcast);
        assert_int_equal(a->n_excluded_addresses, 1);
        assert_int_equal(b->version, 3); /* IPv6: keepalived always uses version 3 */
        assert_int_equal(b->family, AF_INET6);

        assert_string_equal(c->ipvs.sync_instance, "VI_A");
        assert_string_equal(c->ipvs.sync_interface, "eth9");
        assert_int_equal(c->ipvs.sync_id, 12);
        assert_int_equal(c->ipvs.timeout_tcp, 900 * USEC_PER_SEC);
        assert_int_equal(c->ipvs.timeout_tcpfin, 30 * USEC_PER_SEC);
        assert_int_equal(c->ipvs.timeout_udp, 300 * USEC_PER_SEC);

        /* the group became one service per address (3) and per fwmark (1) */
        assert_int_equal(c->n_virtual_servers, 4);
        find_vs(c, "tcp:10.0.0.20:80");
        find_vs(c, "tcp:10.0.0.22:80");
        const VirtualServerConf *fw = find_vs(c, "fwmark:9");
        assert_int_equal(fw->real_servers[0].weight, 2);
        assert_int_equal(fw->real_servers[0].check->port, 80);

        /* notify entries: the group, and the real server in each service */
        size_t groups = 0, checks = 0;
        for (size_t i = 0; i < c->n_notify; i++) {
                if (c->notify[i].kind == NOTIFY_GROUP) {
                        groups++;
                        assert_string_equal(c->notify[i].name, "G");
                        assert_string_equal(c->notify[i].notify_fault[1], "fault");
                } else if (c->notify[i].kind == NOTIFY_CHECK) {
                        checks++;
                        assert_string_equal(c->notify[i].notify_down[0], "/usr/local/bin/rs");
                }
        }
        assert_int_equal(groups, 1);
        assert_int_equal(checks, 4);
        bool found = false;
        for (size_t i = 0; i < c->n_notify; i++)
                found = found || streq(c->notify[i].name, "tcp:10.0.0.21:80/10.3.0.1:80");
        assert_true(found);

        config_free(c);
        kc_diags_free(&d);
}

static void test_more_checks(void **state) {
        static const char in[] =
                "track_file web_weight {\n file \"/run/lb/web1.weight\"\n weight 1\n}\n"
                "virtual_server 10.5.0.1 80 {\n"
                "  lvs_sched wlc\n  lvs_method TUN type gue port 6080\n"
                "  persistence_timeout 600\n  persistence_granularity 255.255.255.0\n"
                "  protocol TCP\n"
                "  real_server 10.6.0.1 80 {\n    FILE_CHECK {\n      track_file web_weight\n    }\n  }\n"
                "  real_server 10.6.0.2 80 {\n    HTTP_GET {\n      url {\n        path /status\n"
                "        regex \"ok|healthy\"\n      }\n      http_protocol 1.0C\n      bindto 10.5.0.9\n"
                "      connect_port 8080\n      warmup 0\n      delay_loop 2\n    }\n  }\n"
                "  real_server 10.6.0.3 80 {\n    SMTP_CHECK {\n      helo_name mx.example.org\n"
                "      host {\n        connect_ip 10.6.0.33\n        connect_port 2525\n      }\n    }\n  }\n"
                "}\n";
        KcDiags d = {};
        Config *c = convert_load(in, NULL, &d, NULL);
        const VirtualServerConf *vs = find_vs(c, "tcp:10.5.0.1:80");
        assert_int_equal(vs->forwarding, FORWARDING_TUN);
        assert_int_equal(vs->persistence_timeout, 600 * USEC_PER_SEC);
        assert_int_equal(vs->persistence_prefix, 24);

        const RealServerConf *rs = &vs->real_servers[0];
        assert_int_equal(rs->tunnel_type, TUNNEL_GUE); /* from the service's lvs_method */
        assert_int_equal(rs->tunnel_port, 6080);
        assert_int_equal(rs->check->type, CHECK_FILE);
        assert_string_equal(rs->check->file_path, "/run/lb/web1.weight");

        const CheckConf *http = vs->real_servers[1].check;
        assert_string_equal(http->path, "/status");
        assert_string_equal(http->regex, "ok|healthy");
        assert_int_equal(http->http_version, 10);
        assert_int_equal(strv_length(http->headers), 1);
        assert_string_equal(http->headers[0], "Connection: close");
        assert_true(addr_is(&http->bind_address, "10.5.0.9", 32));
        assert_int_equal(http->port, 8080);
        assert_int_equal(http->warmup, 0);
        assert_int_equal(http->interval, 2 * USEC_PER_SEC);

        const CheckConf *smtp = vs->real_servers[2].check;
        assert_int_equal(smtp->type, CHECK_SMTP);
        assert_string_equal(smtp->helo_name, "mx.example.org");
        assert_true(addr_is(&smtp->address, "10.6.0.33", 32));
        assert_int_equal(smtp->port, 2525);
        config_free(c);
        kc_diags_free(&d);
}

/* keepalived's own corrections (vrrp_complete_instance) are applied, each reported. */
static void test_keepalived_corrections(void **state) {
        static const char in[] =
                "global_defs {\n vrrp_strict\n}\n"
                "vrrp_instance S {\n interface eth0\n virtual_router_id 1\n state MASTER\n priority 150\n" /* 4..8 */
                " authentication {\n  auth_type PASS\n  auth_pass abc\n }\n"                               /* 9 */
                " virtual_ipaddress {\n  10.0.0.1\n }\n}\n"
                "vrrp_instance O {\n interface eth0\n virtual_router_id 2\n state MASTER\n nopreempt\n"
                " virtual_ipaddress {\n  10.0.0.2\n }\n}\n";
        KcDiags d = {};
        Config *c = convert_load(in, NULL, &d, NULL);

        const VrrpInstanceConf *s = config_find_instance(c, "S"), *o = config_find_instance(c, "O");
        /* strict: MASTER only for the address owner; no authentication; no accept with VRRPv2 */
        assert_true(c->global.vrrp_strict);
        assert_int_equal(s->initial_state, VRRP_INITIAL_BACKUP);
        assert_true(diags_contain(&d, 7, "state MASTER must match being the address owner"));
        assert_null(s->auth_pass);
        assert_true(diags_contain(&d, 9, "authentication in strict mode: keepalived ignores it"));
        assert_false(s->accept);
        /* "state MASTER" without a priority is the address owner (255), which accepts */
        assert_int_equal(o->priority, 255);
        assert_int_equal(o->initial_state, VRRP_INITIAL_MASTER);
        assert_true(o->accept);
        /* nopreempt does not work with state MASTER: keepalived clears it */
        assert_true(o->preempt);
        assert_true(diags_contain(&d, 21, "nopreempt does not work with state MASTER"));
        config_free(c);
        kc_diags_free(&d);
}

static void test_conditional_config_id(void **state) {
        static const char in[] =
                "vrrp_instance VI_0 {\n interface eth0\n virtual_router_id 1\n"
                "@high priority 170\n@low priority 85\n virtual_ipaddress {\n  10.1.0.254/32\n }\n}\n";
        KcDiags d = {};
        Config *c = convert_load(in, "high", &d, NULL);
        assert_int_equal(config_find_instance(c, "VI_0")->priority, 170);
        config_free(c);
        kc_diags_free(&d);

        c = convert_load(in, "low", &d, NULL);
        assert_int_equal(config_find_instance(c, "VI_0")->priority, 85);
        config_free(c);
        kc_diags_free(&d);

        /* without a config id: both skipped, each reported, keepalived's default stays */
        c = convert_load(in, NULL, &d, NULL);
        assert_int_equal(config_find_instance(c, "VI_0")->priority, 100);
        assert_true(diags_contain(&d, 4, "conditional '@high' cannot be evaluated"));
        assert_true(diags_contain(&d, 5, "conditional '@low' cannot be evaluated"));
        config_free(c);
        kc_diags_free(&d);
}

static void test_unsupported_reported(void **state) {
        static const char in[] =
                "global_defs {\n notification_email {\n  a@b\n }\n script_user nobody\n}\n"
                "vrrp_instance V {\n interface eth0\n virtual_router_id 3\n smtp_alert\n"
                " authentication {\n  auth_type AH\n  auth_pass x\n }\n"
                " virtual_routes {\n  10.0.0.0/8 via 10.1.1.1\n }\n frobnicate 1\n"
                " virtual_ipaddress {\n  10.1.1.5\n }\n}\n";
        KcDiags d = {};
        Config *c = convert_load(in, NULL, &d, NULL);
        assert_true(diags_contain(&d, 2, "keyword 'notification_email' not supported: e-mail alerts"));
        assert_true(diags_contain(&d, 5, "keyword 'script_user' not supported: scripts run as"));
        assert_true(diags_contain(&d, 10, "keyword 'smtp_alert' not supported"));
        assert_true(diags_contain(&d, 11, "keyword 'authentication' not supported: auth_type AH"));
        assert_true(diags_contain(&d, 15, "keyword 'virtual_routes' not supported"));
        assert_true(diags_contain(&d, 18, "keyword 'frobnicate' not supported"));
        assert_int_equal(d.n_errors, 0);
        assert_null(config_find_instance(c, "V")->auth_pass);
        config_free(c);
        kc_diags_free(&d);
}

static void test_bad_values(void **state) {
        static const struct {
                const char *in;
                unsigned line;
                const char *needle;
        } cases[] = {
                { "vrrp_instance V {\n interface eth0\n virtual_router_id 300\n}\n", 3,
                  "'virtual_router_id': invalid value '300' (expected an integer 1..255)" },
                { "vrrp_instance V {\n interface eth0\n virtual_router_id 1\n priority high\n}\n", 4,
                  "'priority': invalid value 'high'" },
                { "vrrp_instance V {\n virtual_router_id 1\n}\n", 1, "no 'interface'" },
                { "vrrp_instance V {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n  10.0.0.300\n }\n}\n", 5,
                  "invalid IP address '10.0.0.300'" },
                { "virtual_server 10.0.0.1 80 {\n lb_algo fastest\n}\n", 2, "unknown scheduler 'fastest'" },
                { "virtual_server 10.0.0.1 80 {\n delay_loop 3s\n}\n", 2, "invalid time '3s'" },
                { "vrrp_instance V {\n interface eth0\n virtual_router_id 1\n state PRIMARY\n}\n", 4,
                  "state: expected MASTER or BACKUP" },
                { "vrrp_script s {\n interval 2\n}\n", 1, "vrrp_script 's' has no 'script'" },
                { "vrrp_instance A {\n interface eth0\n virtual_router_id 1\n}\n"
                  "vrrp_instance A {\n interface eth1\n virtual_router_id 2\n}\n", 5,
                  "vrrp_instance A is defined twice (first at bad.conf:1)" },
                { "virtual_server fwmark 3 {\n real_server 10.0.0.1 8080 {\n }\n}\n", 2,
                  "real_server 10.0.0.1 port 8080 in a fwmark service with NAT" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                KcDiags d = {};
                char *yaml = NULL;
                assert_int_equal(kc_convert_string("bad.conf", cases[i].in, strlen(cases[i].in), NULL, &d, &yaml),
                                 -EINVAL);
                assert_null(yaml);
                if (!diags_contain(&d, cases[i].line, cases[i].needle)) {
                        kc_diags_print(&d, stderr);
                        fail_msg("case %zu: no '%s' at line %u", i, cases[i].needle, cases[i].line);
                }
                kc_diags_free(&d);
        }
}

static void test_stable_output(void **state) {
        KcDiags d1 = {}, d2 = {};
        char *a = convert(tutorial, NULL, &d1), *b = convert(tutorial, NULL, &d2);
        assert_string_equal(a, b);
        free(a);
        free(b);
        kc_diags_free(&d1);
        kc_diags_free(&d2);
}

/* Strings YAML could read as something else stay strings. */
static void test_yaml_quoting(void **state) {
        static const char in[] =
                "global_defs {\n router_id \"yes\"\n}\n"
                "vrrp_script \"on\" {\n script \"/bin/echo '#x: y' \\\"q\\\"\"\n}\n"
                "vrrp_instance 1e3 {\n interface eth0\n virtual_router_id 1\n track_script {\n  on\n }\n"
                " virtual_ipaddress {\n  10.1.1.1\n }\n}\n";
        KcDiags d = {};
        Config *c = convert_load(in, NULL, &d, NULL);
        assert_string_equal(c->global.router_id, "yes");
        assert_non_null(config_find_instance(c, "1e3"));
        const CheckConf *ch = config_find_check(c, "on");
        assert_non_null(ch);
        assert_string_equal(ch->command[0], "/bin/echo");
        assert_string_equal(ch->command[1], "#x: y");
        assert_string_equal(ch->command[2], "q");
        config_free(c);
        kc_diags_free(&d);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_tutorial),           cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_checks_and_options), cmocka_unit_test(test_groups_and_sync),
                cmocka_unit_test(test_conditional_config_id), cmocka_unit_test(test_unsupported_reported),
                cmocka_unit_test(test_keepalived_corrections), cmocka_unit_test(test_more_checks),
                cmocka_unit_test(test_bad_values),         cmocka_unit_test(test_stable_output),
                cmocka_unit_test(test_yaml_quoting),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
