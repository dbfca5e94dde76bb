/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Normalized YAML of a loaded model: every default written out, durations in
 * their shortest exact form, strings always double-quoted (so no value can be
 * misread as a number, boolean or null), notify in list form. Loading the
 * output gives the same model again (tested), which makes it usable as the
 * canonical form for --dump-config and for comparing configurations. */

#include <inttypes.h>
#include <stdarg.h>

#include "conf-internal.h"
#include "macro.h"

typedef struct Dumper {
        FILE *f;
} Dumper;

/* libyaml's notion of printable (reader.c): anything else must be escaped or
 * the output would not load back. */
static bool yaml_printable(uint32_t c) {
        return c == 0x0a || (c >= 0x20 && c <= 0x7e) || c == 0x85 || (c >= 0xa0 && c <= 0xd7ff) ||
               (c >= 0xe000 && c <= 0xfffd && c != 0xfeff) || (c >= 0x10000 && c <= 0x10ffff);
}

/* Decodes one UTF-8 sequence; returns its length, 0 for invalid input. */
static size_t utf8_decode(const unsigned char *s, uint32_t *ret) {
        if (s[0] < 0x80) {
                *ret = s[0];
                return 1;
        }
        size_t n = (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3 : (s[0] & 0xf8) == 0xf0 ? 4 : 0;
        if (n == 0)
                return 0;
        uint32_t c = s[0] & (0x7f >> n);
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                c = (c << 6) | (s[i] & 0x3f);
        }
        *ret = c;
        return n;
}

static void put_str(Dumper *d, const char *s) {
        const unsigned char *p = (const unsigned char *) strempty(s);
        fputc('"', d->f);
        while (*p) {
                uint32_t c;
                size_t n = utf8_decode(p, &c);
                if (n == 0) {
                        /* cannot come from a loaded file (the reader checks UTF-8); keep the byte visible */
                        fprintf(d->f, "\\x%02x", *p++);
                        continue;
                }
                if (c == '"' || c == '\\')
                        fprintf(d->f, "\\%c", (char) c);
                else if (c == '\n')
                        fputs("\\n", d->f);
                else if (c == '\t')
                        fputs("\\t", d->f);
                else if (c == '\r')
                        fputs("\\r", d->f);
                else if (!yaml_printable(c) || c == 0x85 || c == 0x2028 || c == 0x2029)
                        /* line breaks of YAML 1.1 are folded inside quoted scalars: escape them too */
                        fprintf(d->f, c <= 0xff ? "\\x%02x" : c <= 0xffff ? "\\u%04x" : "\\U%08x", (unsigned) c);
                else
                        fwrite(p, 1, n, d->f);
                p += n;
        }
        fputc('"', d->f);
}

static void ind(Dumper *d, unsigned level) {
        for (unsigned i = 0; i < level; i++)
                fputs("  ", d->f);
}

static void key(Dumper *d, unsigned level, const char *k) {
        ind(d, level);
        fprintf(d->f, "%s:", k);
}

static void kv_str(Dumper *d, unsigned level, const char *k, const char *v) {
        key(d, level, k);
        fputc(' ', d->f);
        put_str(d, v);
        fputc('\n', d->f);
}

static void kv_opt_str(Dumper *d, unsigned level, const char *k, const char *v) {
        if (v)
                kv_str(d, level, k, v);
}

_printf_(4, 5) static void kv_raw(Dumper *d, unsigned level, const char *k, const char *fmt, ...) {
        va_list ap;
        key(d, level, k);
        fputc(' ', d->f);
        va_start(ap, fmt);
        vfprintf(d->f, fmt, ap);
        va_end(ap);
        fputc('\n', d->f);
}

static void kv_bool(Dumper *d, unsigned level, const char *k, bool b) {
        kv_raw(d, level, k, "%s", b ? "true" : "false");
}

static void kv_dur(Dumper *d, unsigned level, const char *k, usec_t u) {
        char buf[DURATION_MAX];
        kv_raw(d, level, k, "%s", format_duration(buf, sizeof buf, u));
}

static void kv_addr(Dumper *d, unsigned level, const char *k, const InAddrPrefix *a, bool prefix) {
        char buf[ADDR_STR_MAX];
        if (a->family == AF_UNSPEC)
                return;
        kv_str(d, level, k, prefix ? format_address_prefix(buf, sizeof buf, a) : format_address(buf, sizeof buf, a->family, &a->addr));
}

static void kv_strv(Dumper *d, unsigned level, const char *k, char **l) {
        key(d, level, k);
        fputs(" [", d->f);
        STRV_FOREACH(s, l) {
                if (s != l)
                        fputs(", ", d->f);
                put_str(d, *s);
        }
        fputs("]\n", d->f);
}

/* ---- sections ---- */

static void dump_global(Dumper *d, const Config *c) {
        fputs("global:\n", d->f);
        kv_opt_str(d, 1, "router_id", c->global.router_id);
        kv_bool(d, 1, "vrrp_strict", c->global.vrrp_strict);
}

static void dump_vips(Dumper *d, unsigned level, const char *k, const VipConf *v, size_t n) {
        key(d, level, k);
        if (n == 0) {
                fputs(" []\n", d->f);
                return;
        }
        fputc('\n', d->f);
        for (size_t i = 0; i < n; i++) {
                char buf[ADDR_STR_MAX];
                ind(d, level + 1);
                fputs("- address: ", d->f);
                put_str(d, format_address_prefix(buf, sizeof buf, &v[i].addr));
                fputc('\n', d->f);
                if (v[i].device[0])
                        kv_str(d, level + 2, "device", v[i].device);
                if (v[i].label[0])
                        kv_str(d, level + 2, "label", v[i].label);
                kv_str(d, level + 2, "scope", v[i].scope ? v[i].scope : "global");
                if (v[i].has_broadcast) {
                        InAddrPrefix b = { .family = AF_INET, .addr.in = v[i].broadcast, .prefixlen = 32 };
                        kv_addr(d, level + 2, "broadcast", &b, false);
                }
        }
}

static void dump_instance(Dumper *d, const VrrpInstanceConf *in) {
        char buf[ADDR_STR_MAX];
        ind(d, 2);
        put_str(d, in->name);
        fputs(":\n", d->f);
        kv_str(d, 3, "interface", in->interface);
        kv_raw(d, 3, "virtual_router_id", "%u", in->virtual_router_id);
        kv_raw(d, 3, "priority", "%u", in->priority);
        kv_raw(d, 3, "initial_state", "%s", vrrp_initial_state_table[in->initial_state]);
        kv_raw(d, 3, "version", "%d", in->version);
        kv_dur(d, 3, "advert_interval", in->advert_interval);
        kv_bool(d, 3, "preempt", in->preempt);
        kv_dur(d, 3, "preempt_delay", in->preempt_delay);
        kv_bool(d, 3, "accept", in->accept);
        if (in->auth_pass) {
                fputs("      authentication:\n", d->f);
                kv_raw(d, 4, "type", "pass");
                kv_str(d, 4, "password", in->auth_pass);
        }
        if (in->unicast) {
                fputs("      unicast:\n", d->f);
                kv_addr(d, 4, "source", &in->unicast_source, false);
                key(d, 4, "peers");
                fputs(" [", d->f);
                for (size_t i = 0; i < in->n_unicast_peers; i++) {
                        if (i > 0)
                                fputs(", ", d->f);
                        put_str(d, format_address(buf, sizeof buf, in->unicast_peers[i].family, &in->unicast_peers[i].addr));
                }
                fputs("]\n", d->f);
        }
        dump_vips(d, 3, "virtual_addresses", in->virtual_addresses, in->n_virtual_addresses);
        dump_vips(d, 3, "excluded_addresses", in->excluded_addresses, in->n_excluded_addresses);

        fputs("      track:\n", d->f);
        key(d, 4, "interfaces");
        fputs(in->n_track_interfaces == 0 ? " []\n" : "\n", d->f);
        for (size_t i = 0; i < in->n_track_interfaces; i++) {
                ind(d, 5);
                fputs("- name: ", d->f);
                put_str(d, in->track_interfaces[i].name);
                fputc('\n', d->f);
                if (in->track_interfaces[i].has_weight)
                        kv_raw(d, 6, "weight", "%d", in->track_interfaces[i].weight);
        }
        key(d, 4, "checks");
        fputs(in->n_track_checks == 0 ? " []\n" : "\n", d->f);
        for (size_t i = 0; i < in->n_track_checks; i++) {
                ind(d, 5);
                fputs("- name: ", d->f);
                put_str(d, in->track_checks[i].name);
                fputc('\n', d->f);
                if (in->track_checks[i].has_weight)
                        kv_raw(d, 6, "weight", "%d", in->track_checks[i].weight);
        }
        kv_raw(d, 4, "on_missing", "%s", on_missing_table[in->on_missing]);

        fputs("      fencing:\n", d->f);
        kv_raw(d, 4, "policy", "%s", fence_policy_table[in->fencing.policy]);
        kv_dur(d, 4, "timeout", in->fencing.timeout);
        kv_strv(d, 4, "agents", in->fencing.agents);
        kv_strv(d, 4, "commands", in->fencing.commands);

        if (in->vip_lease == VIP_LEASE_FIXED)
                kv_dur(d, 3, "vip_lease", in->vip_lease_duration);
        else
                kv_raw(d, 3, "vip_lease", "%s", in->vip_lease == VIP_LEASE_OFF ? "\"off\"" : "auto");
        kv_bool(d, 3, "use_vmac", in->use_vmac);
        if (in->vmac_interface[0])
                kv_str(d, 3, "vmac_interface", in->vmac_interface);
        fputs("      garp:\n", d->f);
        kv_raw(d, 4, "repeat", "%u", in->garp.repeat);
        kv_dur(d, 4, "interval", in->garp.interval);
        kv_dur(d, 4, "refresh", in->garp.refresh);
        kv_raw(d, 4, "refresh_repeat", "%u", in->garp.refresh_repeat);
        kv_dur(d, 4, "master_delay", in->garp.master_delay);
}

static void dump_vrrp(Dumper *d, const Config *c) {
        fputs("vrrp:\n", d->f);
        fputs(c->n_instances == 0 ? "  instances: {}\n" : "  instances:\n", d->f);
        for (size_t i = 0; i < c->n_instances; i++)
                dump_instance(d, &c->instances[i]);
        fputs(c->n_sync_groups == 0 ? "  sync_groups: {}\n" : "  sync_groups:\n", d->f);
        for (size_t i = 0; i < c->n_sync_groups; i++) {
                ind(d, 2);
                put_str(d, c->sync_groups[i].name);
                fputs(": [", d->f);
                STRV_FOREACH(m, c->sync_groups[i].members) {
                        if (m != c->sync_groups[i].members)
                                fputs(", ", d->f);
                        put_str(d, *m);
                }
                fputs("]\n", d->f);
        }
}

static void dump_check_body(Dumper *d, unsigned l, const CheckConf *ch) {
        kv_raw(d, l, "type", "%s", check_type_to_string(ch->type));
        bool net = ch->type != CHECK_EXEC && ch->type != CHECK_FILE;
        if (net) {
                kv_addr(d, l, "address", &ch->address, false);
                if (ch->type != CHECK_PING && ch->port != 0)
                        kv_raw(d, l, "port", "%u", ch->port);
                kv_addr(d, l, "bind_address", &ch->bind_address, false);
                if (ch->bind_interface[0])
                        kv_str(d, l, "bind_interface", ch->bind_interface);
                kv_raw(d, l, "fwmark", "%" PRIu32, ch->fwmark);
        }
        kv_dur(d, l, "interval", ch->interval);
        kv_dur(d, l, "timeout", ch->timeout);
        kv_raw(d, l, "retry", "%u", ch->retry);
        kv_dur(d, l, "delay_before_retry", ch->delay_before_retry);
        kv_raw(d, l, "fall", "%u", ch->fall);
        kv_raw(d, l, "rise", "%u", ch->rise);
        kv_dur(d, l, "warmup", ch->warmup);
        kv_raw(d, l, "initial_state", "%s", check_initial_state_table[ch->initial_state]);
        kv_bool(d, l, "on_demand", ch->on_demand);
        kv_raw(d, l, "weight", "%d", ch->weight);

        switch (ch->type) {
        case CHECK_HTTP:
        case CHECK_HTTPS:
                kv_str(d, l, "method", ch->method);
                kv_str(d, l, "path", ch->path);
                kv_opt_str(d, l, "virtualhost", ch->virtualhost);
                kv_raw(d, l, "http_version", "\"%s\"", ch->http_version == 10 ? "1.0" : "1.1");
                key(d, l, "status");
                fputs(" [", d->f);
                for (size_t i = 0; i < ch->n_status; i++) {
                        if (i > 0)
                                fputs(", ", d->f);
                        if (ch->status[i].lo == ch->status[i].hi)
                                fprintf(d->f, "%u", ch->status[i].lo);
                        else
                                fprintf(d->f, "\"%u-%u\"", ch->status[i].lo, ch->status[i].hi);
                }
                fputs("]\n", d->f);
                kv_opt_str(d, l, "digest", ch->digest);
                kv_opt_str(d, l, "regex", ch->regex);
                kv_raw(d, l, "max_body", "%" PRIu64, ch->max_body);
                if (ch->headers)
                        kv_strv(d, l, "headers", ch->headers);
                if (ch->type == CHECK_HTTPS) {
                        kv_bool(d, l, "tls_verify", ch->tls_verify);
                        kv_opt_str(d, l, "sni", ch->sni);
                        kv_opt_str(d, l, "ca_file", ch->ca_file);
                        kv_opt_str(d, l, "cert_file", ch->cert_file);
                        kv_opt_str(d, l, "key_file", ch->key_file);
                }
                break;
        case CHECK_SMTP:
                kv_opt_str(d, l, "helo_name", ch->helo_name);
                break;
        case CHECK_DNS:
                kv_str(d, l, "query_name", ch->query_name);
                kv_str(d, l, "query_type", ch->query_type);
                kv_bool(d, l, "use_tcp", ch->dns_tcp);
                kv_raw(d, l, "expect_rcode", "%d", ch->expect_rcode);
                kv_opt_str(d, l, "expect_answer", ch->expect_answer);
                break;
        case CHECK_UDP:
                kv_opt_str(d, l, "payload", ch->payload);
                kv_opt_str(d, l, "expect", ch->expect);
                kv_bool(d, l, "require_reply", ch->require_reply);
                break;
        case CHECK_EXEC:
                kv_strv(d, l, "command", ch->command);
                kv_bool(d, l, "shell", ch->shell);
                kv_bool(d, l, "dynamic", ch->dynamic);
                kv_raw(d, l, "max_output", "%" PRIu64, ch->max_output);
                break;
        case CHECK_FILE:
                kv_str(d, l, "path", ch->file_path);
                kv_raw(d, l, "default_weight", "%d", ch->file_default_weight);
                kv_bool(d, l, "down_on_zero", ch->file_down_on_zero);
                break;
        default:
                break;
        }
}

static void dump_checks(Dumper *d, const Config *c) {
        fputs(c->n_checks == 0 ? "checks: {}\n" : "checks:\n", d->f);
        for (size_t i = 0; i < c->n_checks; i++) {
                ind(d, 1);
                put_str(d, c->checks[i].name);
                fputs(":\n", d->f);
                dump_check_body(d, 2, &c->checks[i]);
        }
}

static void dump_real_server(Dumper *d, const VirtualServerConf *vs, const RealServerConf *rs) {
        char buf[ADDR_STR_MAX];
        fputs("      - address: ", d->f);
        put_str(d, format_address(buf, sizeof buf, rs->address.family, &rs->address.addr));
        fputc('\n', d->f);
        kv_raw(d, 4, "port", "%u", rs->port);
        kv_raw(d, 4, "weight", "%d", rs->weight);
        /* no forwarding key = the service's: inheritance, not a default */
        if (rs->forwarding != FORWARDING_INHERIT)
                kv_raw(d, 4, "forwarding", "%s", forwarding_to_string(rs->forwarding));
        if (real_server_forwarding(vs, rs) == FORWARDING_TUN) {
                fputs("        tunnel:\n", d->f);
                kv_raw(d, 5, "type", "%s", tunnel_type_table[rs->tunnel_type]);
                if (rs->tunnel_port != 0)
                        kv_raw(d, 5, "port", "%u", rs->tunnel_port);
        }
        kv_addr(d, 4, "snat_address", &rs->snat_address, false);
        kv_raw(d, 4, "upper_threshold", "%" PRIu32, rs->upper_threshold);
        kv_raw(d, 4, "lower_threshold", "%" PRIu32, rs->lower_threshold);
        kv_bool(d, 4, "inhibit_on_failure", rs->inhibit_on_failure);
        if (rs->check_ref)
                kv_str(d, 4, "check", rs->check_ref);
        else if (rs->check) {
                fputs("        check:\n", d->f);
                dump_check_body(d, 5, rs->check);
        }
}

static void dump_virtual_servers(Dumper *d, const Config *c) {
        char buf[ADDR_STR_MAX];
        fputs(c->n_virtual_servers == 0 ? "virtual_servers: []\n" : "virtual_servers:\n", d->f);
        for (size_t i = 0; i < c->n_virtual_servers; i++) {
                const VirtualServerConf *vs = &c->virtual_servers[i];
                if (vs->fwmark > 0) {
                        fprintf(d->f, "  - fwmark: %" PRIu32 "\n", vs->fwmark);
                        kv_raw(d, 2, "family", "%s", vs->fwmark_family == AF_INET6 ? "inet6" : "inet");
                } else {
                        fputs("  - address: ", d->f);
                        put_str(d, format_address(buf, sizeof buf, vs->address.family, &vs->address.addr));
                        fputc('\n', d->f);
                        kv_raw(d, 2, "port", "%u", vs->port);
                }
                kv_raw(d, 2, "protocol", "%s", ipvs_protocol_to_string(vs->protocol));
                kv_raw(d, 2, "scheduler", "%s", vs->scheduler);
                kv_strv(d, 2, "flags", vs->flags);
                kv_raw(d, 2, "forwarding", "%s", forwarding_to_string(vs->forwarding));
                kv_addr(d, 2, "snat_address", &vs->snat_address, false);
                fputs("    persistence:\n", d->f);
                kv_dur(d, 3, "timeout", vs->persistence_timeout);
                kv_raw(d, 3, "prefix", "%u", vs->persistence_prefix);
                kv_dur(d, 2, "delay_loop", vs->delay_loop);
                kv_raw(d, 2, "quorum", "%u", vs->quorum);
                kv_raw(d, 2, "hysteresis", "%u", vs->hysteresis);
                if (vs->has_sorry_server) {
                        fputs("    sorry_server:\n", d->f);
                        kv_addr(d, 3, "address", &vs->sorry_server, false);
                        kv_raw(d, 3, "port", "%u", vs->sorry_port);
                        if (vs->sorry_forwarding != FORWARDING_INHERIT)
                                kv_raw(d, 3, "forwarding", "%s", forwarding_to_string(vs->sorry_forwarding));
                }
                kv_bool(d, 2, "inhibit_on_failure", vs->inhibit_on_failure);
                fputs(vs->n_real_servers == 0 ? "    real_servers: []\n" : "    real_servers:\n", d->f);
                for (size_t j = 0; j < vs->n_real_servers; j++)
                        dump_real_server(d, vs, &vs->real_servers[j]);
        }
}

static void dump_ipvs(Dumper *d, const Config *c) {
        const IpvsGlobalConf *g = &c->ipvs;
        fputs("ipvs:\n", d->f);
        kv_bool(d, 1, "own_table", g->own_table);
        if (g->sync_instance) {
                fputs("  sync_daemon:\n", d->f);
                kv_str(d, 2, "instance", g->sync_instance);
                if (g->sync_interface[0])
                        kv_str(d, 2, "interface", g->sync_interface);
                kv_raw(d, 2, "sync_id", "%u", g->sync_id);
        }
        fputs("  timeouts:\n", d->f);
        kv_dur(d, 2, "tcp", g->timeout_tcp);
        kv_dur(d, 2, "tcpfin", g->timeout_tcpfin);
        kv_dur(d, 2, "udp", g->timeout_udp);
        kv_dur(d, 1, "reconcile_interval", g->reconcile_interval);
}

static void dump_zookeeper(Dumper *d, const Config *c) {
        const ZooKeeperConf *z = &c->zookeeper;
        if (!z->present)
                return;
        fputs("zookeeper:\n", d->f);
        kv_str(d, 1, "hosts", z->hosts);
        kv_str(d, 1, "root", z->root ? z->root : "/vigil");
        kv_dur(d, 1, "session_timeout", z->session_timeout);
}

static void dump_notify(Dumper *d, const Config *c) {
        static const char *const names[] = { "notify", "notify_master", "notify_backup", "notify_fault",
                                             "notify_stop", "notify_up", "notify_down" };
        fputs(c->n_notify == 0 ? "notify: []\n" : "notify:\n", d->f);
        for (size_t i = 0; i < c->n_notify; i++) {
                const NotifyConf *n = &c->notify[i];
                char **scripts[] = { n->notify, n->notify_master, n->notify_backup, n->notify_fault,
                                     n->notify_stop, n->notify_up, n->notify_down };
                fprintf(d->f, "  - %s: ", notify_kind_table[n->kind]);
                put_str(d, n->name);
                fputc('\n', d->f);
                for (size_t j = 0; j < ELEMENTSOF(scripts); j++)
                        if (scripts[j])
                                kv_strv(d, 2, names[j], scripts[j]);
                kv_dur(d, 2, "timeout", n->timeout);
        }
}

int config_dump(const Config *c, ConfSection sections, FILE *f) {
        Dumper d = { .f = f };

        if (!c || !f)
                return -EINVAL;
        fputs("# vigil configuration, normalized (every default explicit)\n", f);
        if (sections & CONF_SECTION_GLOBAL)
                dump_global(&d, c);
        if (sections & CONF_SECTION_VRRP)
                dump_vrrp(&d, c);
        if (sections & CONF_SECTION_ZOOKEEPER)
                dump_zookeeper(&d, c);
        if (sections & CONF_SECTION_CHECKS)
                dump_checks(&d, c);
        if (sections & CONF_SECTION_VIRTUAL_SERVERS)
                dump_virtual_servers(&d, c);
        if (sections & CONF_SECTION_IPVS)
                dump_ipvs(&d, c);
        if (sections & CONF_SECTION_NOTIFY)
                dump_notify(&d, c);
        if (fflush(f) != 0 || ferror(f))
                return -EIO;
        return 0;
}
