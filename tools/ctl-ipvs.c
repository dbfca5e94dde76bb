/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vigilctl verbs for the IPVS table, in ipvsadm's layouts so habits and
 * scripts carry over:
 *   services [--stats|--rate] [--exact] [--thresholds]   like ipvsadm -Ln (via vigil-ipvsd)
 *   connections [--service KEY] [--dest ADDR[:PORT]]      like ipvsadm -Lnc (/proc/net/ip_vs_conn)
 *   ipvs import FILE | dump | zero | set-weight SERVICE DEST WEIGHT
 * Reading needs no privilege; zero and set-weight need root or vigil-admin. */

#include <arpa/inet.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup-libs.h"
#include "ipvs-format.h"
#include "ipvs-model.h"
#include "log.h"
#include "status/progress.h"
#include "status/status.h"
#include "vigilctl.h"


#define IPVS_BUS "org.vigil.Ipvs1"
#define IPVS_PATH "/org/vigil/Ipvs1"
#define IPVS_MANAGER "org.vigil.Ipvs1.Manager"
#define IPVS_SERVICE "org.vigil.Ipvs1.Service"

/* ---- reading the table from vigil-ipvsd ---- */

static int read_stats(sd_bus_message *m, IpvsStats *st) {
        const char *k;
        uint64_t v;
        int r = sd_bus_message_enter_container(m, 'a', "{st}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(m, "{st}", &k, &v)) > 0) {
                if (streq(k, "conns")) st->conns = v;
                else if (streq(k, "inpkts")) st->inpkts = v;
                else if (streq(k, "outpkts")) st->outpkts = v;
                else if (streq(k, "inbytes")) st->inbytes = v;
                else if (streq(k, "outbytes")) st->outbytes = v;
                else if (streq(k, "cps")) st->cps = v;
                else if (streq(k, "inpps")) st->inpps = v;
                else if (streq(k, "outpps")) st->outpps = v;
                else if (streq(k, "inbps")) st->inbps = v;
                else if (streq(k, "outbps")) st->outbps = v;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

static uint32_t fwd_from_string(const char *s) {
        if (streq(s, "dr"))
                return IP_VS_CONN_F_DROUTE;
        if (streq(s, "tun"))
                return IP_VS_CONN_F_TUNNEL;
        if (streq(s, "local"))
                return IP_VS_CONN_F_LOCALNODE;
        return IP_VS_CONN_F_MASQ; /* nat, fullnat */
}

static int read_service(sd_bus *bus, const char *path, IpvsTable *t) {
        _cleanup_(sd_bus_error_freep) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        IpvsService s = { .netmask = 0xffffffffu };
        IpvsDest *dests = NULL;
        size_t n_dests = 0;
        _cleanup_strv_free_ char **flags = NULL;
        char proto[8] = "", addr[ADDR_STR_MAX] = "", netmask[INET6_ADDRSTRLEN] = "";
        const char *k, *str;
        int r;

        r = sd_bus_call_method(bus, IPVS_BUS, path, "org.freedesktop.DBus.Properties", "GetAll", &error, &reply, "s", IPVS_SERVICE);
        if (r < 0) {
                if (sd_bus_error_has_name(&error, SD_BUS_ERROR_UNKNOWN_OBJECT) ||
                    sd_bus_error_has_name(&error, "org.vigil.Error.NotFound"))
                        return 0; /* removed between ListServices and now */
                return ctl_log_bus_error("GetAll", &error, r);
        }
        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                r = sd_bus_message_read(reply, "s", &k);
                if (r < 0)
                        break;
                if (streq(k, "Family") || streq(k, "Protocol") || streq(k, "Address") || streq(k, "Scheduler") ||
                    streq(k, "PersistenceNetmask")) {
                        r = sd_bus_message_read(reply, "v", "s", &str);
                        if (r < 0)
                                break;
                        if (streq(k, "Family"))
                                s.key.af = streq(str, "inet6") ? AF_INET6 : AF_INET;
                        else if (streq(k, "Protocol"))
                                snprintf(proto, sizeof proto, "%s", str);
                        else if (streq(k, "Address"))
                                snprintf(addr, sizeof addr, "%s", str);
                        else if (streq(k, "Scheduler"))
                                snprintf(s.sched_name, sizeof s.sched_name, "%s", str);
                        else
                                snprintf(netmask, sizeof netmask, "%s", str);
                } else if (streq(k, "Port"))
                        r = sd_bus_message_read(reply, "v", "q", &s.key.port);
                else if (streq(k, "Fwmark"))
                        r = sd_bus_message_read(reply, "v", "u", &s.key.fwmark);
                else if (streq(k, "PersistenceTimeout"))
                        r = sd_bus_message_read(reply, "v", "u", &s.timeout);
                else if (streq(k, "Flags")) {
                        r = sd_bus_message_enter_container(reply, 'v', "as");
                        if (r >= 0)
                                r = sd_bus_message_read_strv(reply, &flags);
                        if (r >= 0)
                                r = sd_bus_message_exit_container(reply);
                } else if (streq(k, "Stats")) {
                        r = sd_bus_message_enter_container(reply, 'v', "a{st}");
                        if (r >= 0)
                                r = read_stats(reply, &s.stats);
                        if (r >= 0)
                                r = sd_bus_message_exit_container(reply);
                } else if (streq(k, "Destinations")) {
                        const char *a, *fwd;
                        IpvsDest d = {};
                        r = sd_bus_message_enter_container(reply, 'v', "a(sqiuuuuus)");
                        if (r >= 0)
                                r = sd_bus_message_enter_container(reply, 'a', "(sqiuuuuus)");
                        while (r >= 0 && (r = sd_bus_message_read(reply, "(sqiuuuuus)", &a, &d.port, &d.weight, &d.u_threshold,
                                                                     &d.l_threshold, &d.active_conns, &d.inact_conns,
                                                                     &d.persist_conns, &fwd)) > 0) {
                                if (parse_address(a, &d.af, &d.addr) < 0)
                                        continue;
                                d.conn_flags = fwd_from_string(fwd);
                                IpvsDest *nd = reallocarray(dests, n_dests + 1, sizeof(IpvsDest));
                                if (!nd) {
                                        r = -ENOMEM;
                                        break;
                                }
                                dests = nd;
                                dests[n_dests++] = d;
                        }
                        if (r >= 0)
                                r = sd_bus_message_exit_container(reply);
                        if (r >= 0)
                                r = sd_bus_message_exit_container(reply);
                } else if (streq(k, "DestinationStats")) {
                        const char *a;
                        uint16_t port;
                        r = sd_bus_message_enter_container(reply, 'v', "a(sqa{st})");
                        if (r >= 0)
                                r = sd_bus_message_enter_container(reply, 'a', "(sqa{st})");
                        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'r', "sqa{st}")) > 0) {
                                IpvsStats st = {};
                                int af;
                                union in_addr_union ua;
                                r = sd_bus_message_read(reply, "sq", &a, &port);
                                if (r >= 0)
                                        r = read_stats(reply, &st);
                                if (r >= 0)
                                        r = sd_bus_message_exit_container(reply);
                                if (r >= 0 && parse_address(a, &af, &ua) >= 0)
                                        for (size_t i = 0; i < n_dests; i++)
                                                if (dests[i].af == af && dests[i].port == port && address_equal(af, &dests[i].addr, &ua))
                                                        dests[i].stats = st;
                        }
                        if (r >= 0)
                                r = sd_bus_message_exit_container(reply);
                        if (r >= 0)
                                r = sd_bus_message_exit_container(reply);
                } else
                        r = sd_bus_message_skip(reply, "v");
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
        }
        if (r < 0) {
                free(dests);
                return log_error_errno(r, "Failed to parse the properties of %s: %s", path, strerror(-r));
        }
        if (!s.key.fwmark) {
                s.key.protocol = streq(proto, "udp") ? IPPROTO_UDP : streq(proto, "sctp") ? IPPROTO_SCTP : IPPROTO_TCP;
                (void) parse_address(addr, &s.key.af, &s.key.addr);
        }
        STRV_FOREACH(f, flags) {
                uint32_t bit;
                if (streq(*f, "persistent"))
                        s.flags |= IP_VS_SVC_F_PERSISTENT;
                else if (ipvs_sched_flags_from_string(s.sched_name, *f, &bit) >= 0)
                        s.flags |= bit;
        }
        if (s.key.af == AF_INET6)
                s.netmask = (uint32_t) strtoul(netmask, NULL, 10);
        else {
                struct in_addr m;
                if (inet_pton(AF_INET, netmask, &m) == 1)
                        s.netmask = m.s_addr;
        }
        IpvsService *ns = ipvs_table_add_service(t, &s);
        for (size_t i = 0; ns && i < n_dests; i++)
                if (!ipvs_service_add_dest(ns, &dests[i]))
                        ns = NULL;
        free(dests);
        return ns ? 0 : log_oom();
}

static int read_table(sd_bus *bus, IpvsTable *ret) {
        _cleanup_(sd_bus_error_freep) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        IpvsTable t = {};
        const char *key, *path;
        int r;

        r = sd_bus_call_method(bus, IPVS_BUS, IPVS_PATH, IPVS_MANAGER, "ListServices", &error, &reply, NULL);
        if (r < 0)
                return ctl_log_bus_error("ListServices (is vigil-ipvsd running?)", &error, r);
        r = sd_bus_message_enter_container(reply, 'a', "(so)");
        while (r >= 0 && (r = sd_bus_message_read(reply, "(so)", &key, &path)) > 0) {
                r = read_service(bus, path, &t);
                if (r < 0)
                        break;
        }
        if (r < 0) {
                ipvs_table_done(&t);
                return r;
        }
        ipvs_table_sort(&t);
        *ret = t;
        return 0;
}

/* ---- services ---- */

static void json_table(const IpvsTable *t, FILE *f) {
        fputc('[', f);
        for (size_t i = 0; i < t->n_services; i++) {
                const IpvsService *s = &t->services[i];
                char key[IPVS_KEY_STR_MAX], fl[64], a[ADDR_STR_MAX];
                (void) ipvs_service_key_format(&s->key, key, sizeof key);
                fprintf(f, "%s{\"service\":", i ? "," : "");
                ctl_json_string(f, key);
                fprintf(f, ",\"scheduler\":");
                ctl_json_string(f, s->sched_name);
                fprintf(f, ",\"flags\":");
                ctl_json_string(f, ipvs_sched_flags_format(fl, sizeof fl, s->sched_name, s->flags));
                fprintf(f, ",\"persistent\":%s,\"timeout\":%u", s->flags & IP_VS_SVC_F_PERSISTENT ? "true" : "false", s->timeout);
                fprintf(f, ",\"conns\":%" PRIu64 ",\"inpkts\":%" PRIu64 ",\"outpkts\":%" PRIu64 ",\"inbytes\":%" PRIu64
                           ",\"outbytes\":%" PRIu64 ",\"cps\":%" PRIu64 ",\"destinations\":[",
                        s->stats.conns, s->stats.inpkts, s->stats.outpkts, s->stats.inbytes, s->stats.outbytes, s->stats.cps);
                for (size_t j = 0; j < s->n_dests; j++) {
                        const IpvsDest *d = &s->dests[j];
                        fprintf(f, "%s{\"address\":", j ? "," : "");
                        ctl_json_string(f, format_address(a, sizeof a, d->af, &d->addr));
                        fprintf(f, ",\"port\":%u,\"forward\":", d->port);
                        ctl_json_string(f, ipvs_fwd_name(d->conn_flags));
                        fprintf(f, ",\"weight\":%d,\"active\":%u,\"inactive\":%u,\"conns\":%" PRIu64 "}", d->weight,
                                d->active_conns, d->inact_conns, d->stats.conns);
                }
                fputs("]}", f);
        }
        fputs("]\n", f);
}

static int verb_services(int argc, char **argv) {
        static const struct option options[] = {
                { "stats", no_argument, NULL, 's' },
                { "rate", no_argument, NULL, 'r' },
                { "exact", no_argument, NULL, 'x' },
                { "thresholds", no_argument, NULL, 't' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_ipvs_table_ IpvsTable t = {};
        IpvsListFlags flags = 0;
        int c, r;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 's': flags |= IPVS_LIST_STATS; break;
                case 'r': flags |= IPVS_LIST_RATE; break;
                case 'x': flags |= IPVS_LIST_EXACT; break;
                case 't': flags |= IPVS_LIST_THRESHOLDS; break;
                case 'h':
                        printf("vigilctl services [--stats|--rate] [--exact] [--thresholds]\n"
                               "  The IPVS table like ipvsadm -Ln, read through vigil-ipvsd.\n");
                        return 0;
                default:
                        return -EINVAL;
                }
        if ((flags & IPVS_LIST_STATS) && (flags & IPVS_LIST_RATE))
                return log_error_errno(EINVAL, "--stats and --rate are two different tables; pick one.");
        if (optind < argc)
                return log_error_errno(EINVAL, "services: unexpected argument '%s'.", argv[optind]);
        r = ctl_bus_open(&bus);
        if (r < 0)
                return r;
        r = read_table(bus, &t);
        if (r < 0)
                return r;
        if (arg_json) {
                json_table(&t, stdout);
                return 0;
        }
        return ipvs_table_format_list(&t, flags, stdout);
}
VIGILCTL_VERB(services, "services", "[--stats|--rate] [--exact] [--thresholds]", "List the IPVS table (like ipvsadm -Ln)", verb_services);

/* ---- connections ---- */

static int verb_connections(int argc, char **argv) {
        static const struct option options[] = {
                { "service", required_argument, NULL, 's' },
                { "dest", required_argument, NULL, 'd' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        _cleanup_fclose_ FILE *f = NULL;
        const char *service = NULL, *dest = NULL;
        IpvsServiceKey sk = {};
        int daf = AF_UNSPEC;
        union in_addr_union da = {};
        uint16_t dport = 0;
        bool dport_given = false;
        char line[512];
        int c;

        while ((c = getopt_long(argc, argv, "s:d:h", options, NULL)) >= 0)
                switch (c) {
                case 's': service = optarg; break;
                case 'd': dest = optarg; break;
                case 'h':
                        printf("vigilctl connections [--service tcp:VIP:PORT] [--dest ADDR[:PORT]]\n"
                               "  The IPVS connection table like ipvsadm -Lnc.\n");
                        return 0;
                default:
                        return -EINVAL;
                }
        if (service) {
                if (ipvs_service_key_parse(service, &sk) < 0)
                        return log_error_errno(EINVAL, "--service: '%s' is not a service key like tcp:10.0.0.1:80.", service);
                if (sk.fwmark)
                        return log_error_errno(EINVAL, "--service: the connection table does not record firewall marks; "
                                                       "filter fwmark services with --dest.");
        }
        if (dest) {
                if (parse_address_port(dest, &daf, &da, &dport) >= 0)
                        dport_given = true;
                else if (parse_address(dest, &daf, &da) < 0)
                        return log_error_errno(EINVAL, "--dest: '%s' is not ADDRESS, ADDRESS:PORT or [ADDRESS]:PORT.", dest);
        }
        f = fopen("/proc/net/ip_vs_conn", "re");
        if (!f)
                return log_error_errno(errno, "Cannot read /proc/net/ip_vs_conn: %m%s",
                                       errno == ENOENT ? " (IPVS is not loaded: modprobe ip_vs)" : "");
        if (arg_legend)
                printf("IPVS connection entries\npro expire state       source             virtual            destination\n");
        while (fgets(line, sizeof line, f)) {
                IpvsConn conn;
                if (ipvs_conn_parse_line(line, &conn) < 0)
                        continue;
                if (service) {
                        const char *p = ipvs_protocol_name(sk.protocol);
                        if (conn.af != sk.af || conn.vport != sk.port || !address_equal(sk.af, &conn.virt, &sk.addr) ||
                            strcasecmp(conn.protocol, p) != 0)
                                continue;
                }
                if (dest && (conn.dest_af != daf || !address_equal(daf, &conn.dest, &da) || (dport_given && conn.dport != dport)))
                        continue;
                ipvs_conn_format(&conn, stdout);
        }
        return 0;
}
VIGILCTL_VERB(connections, "connections", "[--service KEY] [--dest ADDR[:PORT]]", "List IPVS connections (like ipvsadm -Lnc)",
              verb_connections);

/* ---- ipvs import|dump|zero|set-weight ---- */

static int ipvs_import(const char *path) {
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_free_ char *buf = NULL;
        _cleanup_ipvs_table_ IpvsTable t = {};
        /* Progress on a terminal's stderr while the YAML goes to a file or pipe;
         * quiet otherwise (a YAML on the terminal is progress enough). */
        _cleanup_(progress_freep) Progress *progress = isatty(STDOUT_FILENO) ? NULL : progress_new();
        size_t len = 0, cap = 0, total = 0, lines = 0, dests = 0;
        char err[256], c1[16], c2[16];
        struct stat st;
        int r;

        f = streq(path, "-") ? fdopen(dup(STDIN_FILENO), "r") : fopen(path, "re");
        if (!f)
                return log_error_errno(errno, "%s: %m", path);
        if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode))
                total = (size_t) st.st_size;
        for (;;) {
                if (cap - len < 65536) {
                        if (cap > 64 * 1024 * 1024) {
                                progress_clear(progress);
                                return log_error_errno(EFBIG, "%s: larger than 64 MiB; not an ipvsadm-save file?", path);
                        }
                        cap = cap ? cap * 2 : 65536;
                        char *n = realloc(buf, cap + 1);
                        if (!n) {
                                progress_clear(progress);
                                return log_oom();
                        }
                        buf = n;
                }
                size_t k = fread(buf + len, 1, cap - len, f);
                len += k;
                if (k == 0)
                        break;
                if (total > 0)
                        progress_update(progress, "Reading %s: %sB of %sB (%u%%)", path, status_format_count(c1, sizeof c1, len),
                                        status_format_count(c2, sizeof c2, total), (unsigned) (MIN(len, total) * 100 / total));
                else
                        progress_update(progress, "Reading %s: %sB", path, status_format_count(c1, sizeof c1, len));
        }
        if (ferror(f)) {
                progress_clear(progress);
                return log_error_errno(EIO, "%s: read error", path);
        }
        for (const char *p = buf, *end = buf + len; p && p < end; lines++) {
                p = memchr(p, '\n', (size_t) (end - p));
                if (p)
                        p++;
        }
        char what[PATH_MAX + 64];
        snprintf(what, sizeof what, "Parsing %zu line%s of %s", lines, lines == 1 ? "" : "s", path);
        (void) progress_ticker_start(progress, what); /* the parser reports no count: elapsed time */
        r = ipvs_import_save(buf ? buf : "", len, &t, err, sizeof err);
        progress_clear(progress);
        if (r < 0)
                return log_error_errno(r, "%s:%s", path, err + 5 /* "line N: ..." → "FILE:N: ..." */);
        for (size_t i = 0; i < t.n_services; i++)
                dests += t.services[i].n_dests;
        progress_update(progress, "Writing %zu service%s…", t.n_services, t.n_services == 1 ? "" : "s");
        printf("# imported from %s by vigilctl ipvs import: %zu service(s)\n", path, t.n_services);
        r = ipvs_table_format_yaml(&t, stdout);
        if (r >= 0 && fflush(stdout) != 0)
                r = -errno;
        if (r < 0) {
                progress_clear(progress);
                return log_error_errno(r, "Writing the YAML failed: %s", strerror(-r));
        }
        progress_finish(progress, "Imported %zu service%s with %zu real server%s from %s", t.n_services,
                        t.n_services == 1 ? "" : "s", dests, dests == 1 ? "" : "s", path);
        return 0;
}

static int ipvs_manager_call(const char *method, const char *types, ...) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_error_freep) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        va_list ap;
        int r;

        r = ctl_bus_open(&bus);
        if (r < 0)
                return r;
        r = sd_bus_message_new_method_call(bus, &m, IPVS_BUS, IPVS_PATH, IPVS_MANAGER, method);
        if (r < 0)
                return r;
        if (types) {
                va_start(ap, types);
                r = sd_bus_message_appendv(m, types, ap);
                va_end(ap);
                if (r < 0)
                        return r;
        }
        r = sd_bus_call(bus, m, 120 * USEC_PER_SEC, &error, &reply);
        if (r < 0)
                return ctl_log_bus_error(method, &error, r);
        if (streq(method, "Dump")) {
                const char *text;
                r = sd_bus_message_read(reply, "s", &text);
                if (r < 0)
                        return r;
                fputs(text, stdout);
        }
        return 0;
}

static int verb_ipvs(int argc, char **argv) {
        if (argc < 2 || streq(argv[1], "help") || streq(argv[1], "--help")) {
                printf("vigilctl ipvs import FILE      ipvsadm-save -n output → YAML virtual_servers on stdout\n"
                       "vigilctl ipvs dump             the kernel table in ipvsadm-save format\n"
                       "vigilctl ipvs zero             zero all IPVS counters\n"
                       "vigilctl ipvs set-weight SERVICE DEST WEIGHT\n"
                       "                               manual weight (0 drains); -1 returns to the configured one\n");
                return argc < 2 ? -EINVAL : 0;
        }
        const char *sub = argv[1];
        if (streq(sub, "import")) {
                if (argc != 3)
                        return log_error_errno(EINVAL, "usage: vigilctl ipvs import FILE (- for stdin)");
                return ipvs_import(argv[2]);
        }
        if (streq(sub, "dump")) {
                if (argc != 2)
                        return log_error_errno(EINVAL, "usage: vigilctl ipvs dump");
                return ipvs_manager_call("Dump", NULL);
        }
        if (streq(sub, "zero")) {
                if (argc != 2)
                        return log_error_errno(EINVAL, "usage: vigilctl ipvs zero");
                return ipvs_manager_call("ZeroCounters", NULL);
        }
        if (streq(sub, "set-weight")) {
                char *end;
                if (argc != 5)
                        return log_error_errno(EINVAL, "usage: vigilctl ipvs set-weight SERVICE DEST WEIGHT");
                errno = 0;
                long w = strtol(argv[4], &end, 10);
                if (errno || *end || !*argv[4] || w < -1 || w > 65535)
                        return log_error_errno(EINVAL, "set-weight: WEIGHT '%s' must be 0..65535, or -1 for the configured weight.", argv[4]);
                return ipvs_manager_call("SetWeight", "ssi", argv[2], argv[3], (int32_t) w);
        }
        return log_error_errno(EINVAL, "ipvs: unknown command '%s' (import, dump, zero, set-weight).", sub);
}
VIGILCTL_VERB(ipvs, "ipvs", "import FILE|dump|zero|set-weight SERVICE DEST WEIGHT", "IPVS import, dump, counters, manual weights",
              verb_ipvs);
