/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vigilctl realserver setup|teardown|status: the real-server side of LVS-DR
 * and LVS-TUN, so nobody pastes sysctls by hand. setup puts the VIPs on lo
 * (DR) or on tunl0/ip6tnl0 (TUN) and sets arp_ignore=1 / arp_announce=2
 * (and rp_filter=0 for TUN), recording every previous value in a state file;
 * it is idempotent, and teardown restores exactly what setup changed. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <netlink/route/addr.h>
#include <netlink/route/link.h>

#include "addr-util.h"
#include "cleanup-libs.h"
#include "log.h"
#include "vigilctl.h"

#define DEFAULT_STATE VIGIL_RUNSTATEDIR "/realserver.state"

typedef enum Mode { MODE_DR, MODE_TUN } Mode;

typedef struct Change {
        char kind;        /* 's' sysctl, 'a' address, 'l' link we created, 'u' link we set up */
        char *key;        /* sysctl path / "dev addr/plen" / link name */
        char *old;        /* sysctl: previous value */
} Change;

typedef struct State {
        Change *items;
        size_t n;
} State;

static void state_free(State *s) {
        for (size_t i = 0; i < s->n; i++) {
                free(s->items[i].key);
                free(s->items[i].old);
        }
        free(s->items);
        *s = (State) {};
}

static bool state_has(const State *s, char kind, const char *key) {
        for (size_t i = 0; i < s->n; i++)
                if (s->items[i].kind == kind && streq(s->items[i].key, key))
                        return true;
        return false;
}

static int state_add(State *s, char kind, const char *key, const char *old) {
        Change *n = realloc(s->items, (s->n + 1) * sizeof *n);
        if (!n)
                return -ENOMEM;
        s->items = n;
        s->items[s->n] = (Change) { .kind = kind, .key = strdup(key), .old = old ? strdup(old) : NULL };
        if (!s->items[s->n].key || (old && !s->items[s->n].old))
                return -ENOMEM;
        s->n++;
        return 0;
}

/* Format: one change per line, "KIND<TAB>KEY<TAB>OLD". */
static int state_load(const char *path, State *s) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        char line[512];
        unsigned lineno = 0;

        if (!f)
                return errno == ENOENT ? 0 : -errno;
        while (fgets(line, sizeof line, f)) {
                lineno++;
                line[strcspn(line, "\n")] = 0;
                if (!*line || *line == '#')
                        continue;
                char *k = strchr(line, '\t');
                char *o = k ? strchr(k + 1, '\t') : NULL;
                if (!k || k != line + 1 || !strchr("salu", line[0]))
                        return log_error_errno(EBADMSG, "%s:%u: malformed line.", path, lineno);
                *k++ = 0;
                if (o)
                        *o++ = 0;
                int r = state_add(s, line[0], k, o);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int state_save(const char *path, const State *s) {
        char tmp[PATH_MAX];
        snprintf(tmp, sizeof tmp, "%s.tmp", path);
        _cleanup_fclose_ FILE *f = fopen(tmp, "we");
        if (!f)
                return log_error_errno(errno, "Cannot write %s: %m", tmp);
        fprintf(f, "# vigilctl realserver: what setup changed, for teardown. Do not edit.\n");
        for (size_t i = 0; i < s->n; i++)
                fprintf(f, "%c\t%s%s%s\n", s->items[i].kind, s->items[i].key, s->items[i].old ? "\t" : "",
                        strempty(s->items[i].old));
        if (fflush(f) != 0 || fsync(fileno(f)) < 0)
                return log_error_errno(errno, "Cannot write %s: %m", tmp);
        if (rename(tmp, path) < 0)
                return log_error_errno(errno, "Cannot rename %s: %m", tmp);
        return 0;
}

static int sysctl_read(const char *path, char *buf, size_t len) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        if (!f || !fgets(buf, (int) len, f))
                return -errno ?: -EIO;
        buf[strcspn(buf, "\n")] = 0;
        return 0;
}

static int sysctl_write(const char *path, const char *value) {
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        size_t l = strlen(value);
        if (write(fd, value, l) != (ssize_t) l)
                return -errno ?: -EIO;
        return 0;
}

/* Sets a sysctl, remembering its first previous value. */
static int set_sysctl(State *s, const char *path, const char *value) {
        char old[64];
        int r = sysctl_read(path, old, sizeof old);
        if (r < 0)
                return log_error_errno(r, "Cannot read %s: %m", path);
        if (streq(old, value))
                return 0;
        if (!state_has(s, 's', path)) {
                r = state_add(s, 's', path, old);
                if (r < 0)
                        return log_oom();
        }
        r = sysctl_write(path, value);
        if (r < 0)
                return log_error_errno(r, "Cannot set %s=%s: %m", path, value);
        log_info("%s: %s → %s", path, old, value);
        return 0;
}

static int link_index(struct nl_sock *sk, const char *name, bool *up) {
        _cleanup_(rtnl_link_putp) struct rtnl_link *link = NULL;
        int r = rtnl_link_get_kernel(sk, 0, name, &link);
        if (r < 0)
                return nl_error_to_errno(r);
        if (up)
                *up = rtnl_link_get_flags(link) & IFF_UP;
        return rtnl_link_get_ifindex(link);
}

static int ensure_tunnel(struct nl_sock *sk, State *s, const char *name, const char *kind) {
        bool up = false;
        int idx = link_index(sk, name, &up), r;

        if (idx == -ENODEV || idx == -ENOENT) {
                /* Adding a link of this kind makes the kernel load the module,
                 * whose init creates the fallback device itself. */
                _cleanup_(rtnl_link_putp) struct rtnl_link *l = rtnl_link_alloc();
                if (!l)
                        return log_oom();
                rtnl_link_set_name(l, name);
                r = rtnl_link_set_type(l, kind);
                if (r >= 0)
                        r = rtnl_link_add(sk, l, NLM_F_CREATE | NLM_F_EXCL);
                r = nl_error_to_errno(r);
                if (r < 0 && r != -EEXIST)
                        return log_error_errno(r, "Cannot create %s (%s): %m (is the %s module available?)", name, kind,
                                               streq(kind, "ipip") ? "ipip" : "ip6_tunnel");
                if (r == 0 && !state_has(s, 'l', name) && (r = state_add(s, 'l', name, NULL)) < 0)
                        return log_oom();
                idx = link_index(sk, name, &up);
        }
        if (idx < 0)
                return log_error_errno(idx, "Cannot find %s: %m", name);
        if (!up) {
                _cleanup_(rtnl_link_putp) struct rtnl_link *orig = NULL, *change = rtnl_link_alloc();
                if (!change)
                        return log_oom();
                r = nl_error_to_errno(rtnl_link_get_kernel(sk, idx, NULL, &orig));
                if (r >= 0) {
                        rtnl_link_set_flags(change, IFF_UP);
                        r = nl_error_to_errno(rtnl_link_change(sk, orig, change, 0));
                }
                if (r < 0)
                        return log_error_errno(r, "Cannot bring %s up: %m", name);
                if (!state_has(s, 'l', name) && !state_has(s, 'u', name) && (r = state_add(s, 'u', name, NULL)) < 0)
                        return log_oom();
        }
        return idx;
}

static int addr_change(struct nl_sock *sk, int ifindex, const InAddrPrefix *p, bool add) {
        _cleanup_(rtnl_addr_putp) struct rtnl_addr *a = rtnl_addr_alloc();
        _cleanup_(nl_addr_putp) struct nl_addr *local = NULL;
        if (!a)
                return -ENOMEM;
        local = nl_addr_build(p->family, &p->addr, family_address_size(p->family));
        if (!local)
                return -ENOMEM;
        nl_addr_set_prefixlen(local, p->prefixlen);
        rtnl_addr_set_ifindex(a, ifindex);
        rtnl_addr_set_family(a, p->family);
        int r = rtnl_addr_set_local(a, local);
        if (r < 0)
                return nl_error_to_errno(r);
        r = add ? rtnl_addr_add(sk, a, NLM_F_CREATE | NLM_F_EXCL) : rtnl_addr_delete(sk, a, 0);
        return nl_error_to_errno(r);
}

static int do_setup(const char *state_path, Mode mode, char **vips, int n_vips) {
        _cleanup_(nl_socket_freep) struct nl_sock *sk = nl_socket_alloc();
        State s = {};
        char path[256];
        bool v4 = false, v6 = false;
        InAddrPrefix *addrs = calloc((size_t) n_vips, sizeof *addrs);
        int r;

        if (!sk || !addrs) {
                free(addrs);
                return log_oom();
        }
        for (int i = 0; i < n_vips; i++) {
                r = parse_address_prefix(vips[i], &addrs[i]);
                if (r < 0) {
                        free(addrs);
                        return log_error_errno(EINVAL, "Invalid VIP '%s' (argument %d): expected an IPv4 or IPv6 address.", vips[i], i + 1);
                }
                /* A VIP on a real server is a host address whatever the prefix given. */
                addrs[i].prefixlen = addrs[i].family == AF_INET ? 32 : 128;
                v4 |= addrs[i].family == AF_INET;
                v6 |= addrs[i].family == AF_INET6;
        }
        r = nl_error_to_errno(nl_connect(sk, NETLINK_ROUTE));
        if (r < 0) {
                free(addrs);
                return log_error_errno(r, "Cannot open rtnetlink: %m");
        }
        r = state_load(state_path, &s);
        if (r < 0)
                goto finish;

        if (v4) {
                /* arp_ignore=1: answer ARP only for addresses on the receiving interface;
                 * arp_announce=2: never use a VIP as ARP source. The kernel takes the max
                 * of "all" and the device, so set both, as the classic walkthroughs do. */
                static const char *const devs[] = { "all", "lo" };
                for (size_t i = 0; i < ELEMENTSOF(devs); i++) {
                        snprintf(path, sizeof path, "/proc/sys/net/ipv4/conf/%s/arp_ignore", devs[i]);
                        if ((r = set_sysctl(&s, path, "1")) < 0)
                                goto finish;
                        snprintf(path, sizeof path, "/proc/sys/net/ipv4/conf/%s/arp_announce", devs[i]);
                        if ((r = set_sysctl(&s, path, "2")) < 0)
                                goto finish;
                }
        }

        for (int i = 0; i < n_vips; i++) {
                const char *dev = mode == MODE_DR ? "lo" : addrs[i].family == AF_INET ? "tunl0" : "ip6tnl0";
                int idx;
                if (mode == MODE_TUN)
                        idx = ensure_tunnel(sk, &s, dev, addrs[i].family == AF_INET ? "ipip" : "ip6tnl");
                else
                        idx = link_index(sk, dev, NULL);
                if (idx < 0) {
                        r = idx;
                        goto finish;
                }
                if (mode == MODE_TUN && addrs[i].family == AF_INET) {
                        static const char *const rp[] = { "all", "tunl0" };
                        for (size_t j = 0; j < ELEMENTSOF(rp); j++) {
                                snprintf(path, sizeof path, "/proc/sys/net/ipv4/conf/%s/rp_filter", rp[j]);
                                if ((r = set_sysctl(&s, path, "0")) < 0)
                                        goto finish;
                        }
                        snprintf(path, sizeof path, "/proc/sys/net/ipv4/conf/tunl0/arp_ignore");
                        if ((r = set_sysctl(&s, path, "1")) < 0)
                                goto finish;
                        snprintf(path, sizeof path, "/proc/sys/net/ipv4/conf/tunl0/arp_announce");
                        if ((r = set_sysctl(&s, path, "2")) < 0)
                                goto finish;
                }
                char a[ADDR_STR_MAX], key[64];
                format_address_prefix(a, sizeof a, &addrs[i]);
                snprintf(key, sizeof key, "%s %s", dev, a);
                r = addr_change(sk, idx, &addrs[i], true);
                if (r == -EEXIST) {
                        log_info("%s already on %s.", a, dev);
                        r = 0;
                        continue;
                }
                if (r < 0) {
                        log_error_errno(r, "Cannot add %s to %s: %m", a, dev);
                        goto finish;
                }
                log_info("Added %s to %s.", a, dev);
                if (!state_has(&s, 'a', key) && state_add(&s, 'a', key, NULL) < 0) {
                        r = log_oom();
                        goto finish;
                }
        }
finish:
        /* Save even on failure: what was changed must be restorable. */
        if (s.n > 0) {
                int q = state_save(state_path, &s);
                if (r >= 0)
                        r = q;
        }
        state_free(&s);
        free(addrs);
        return r;
}

static int do_teardown(const char *state_path) {
        _cleanup_(nl_socket_freep) struct nl_sock *sk = nl_socket_alloc();
        State s = {};
        int r, ret = 0;

        if (!sk)
                return log_oom();
        r = state_load(state_path, &s);
        if (r < 0)
                return log_error_errno(r, "Cannot read %s: %m", state_path);
        if (s.n == 0) {
                log_info("Nothing to tear down (%s absent or empty).", state_path);
                return 0;
        }
        r = nl_error_to_errno(nl_connect(sk, NETLINK_ROUTE));
        if (r < 0) {
                state_free(&s);
                return log_error_errno(r, "Cannot open rtnetlink: %m");
        }
        for (size_t i = s.n; i-- > 0;) {
                Change *c = &s.items[i];
                switch (c->kind) {
                case 's':
                        r = sysctl_write(c->key, strempty(c->old));
                        if (r < 0)
                                ret = log_error_errno(r, "Cannot restore %s=%s: %m", c->key, strempty(c->old));
                        else
                                log_info("%s restored to %s.", c->key, strempty(c->old));
                        break;
                case 'a': {
                        char dev[IFNAMSIZ + 1] = "", *sp = strchr(c->key, ' ');
                        InAddrPrefix p;
                        if (!sp || (size_t) (sp - c->key) >= sizeof dev || parse_address_prefix(sp + 1, &p) < 0) {
                                ret = log_error_errno(EBADMSG, "%s: bad address entry '%s'.", state_path, c->key);
                                break;
                        }
                        memcpy(dev, c->key, (size_t) (sp - c->key));
                        int idx = link_index(sk, dev, NULL);
                        r = idx < 0 ? idx : addr_change(sk, idx, &p, false);
                        if (r < 0 && r != -EADDRNOTAVAIL && r != -ENODEV && r != -ENOENT)
                                ret = log_error_errno(r, "Cannot remove %s from %s: %m", sp + 1, dev);
                        else
                                log_info("Removed %s from %s.", sp + 1, dev);
                        break;
                }
                case 'u':
                case 'l': {
                        _cleanup_(rtnl_link_putp) struct rtnl_link *l = NULL, *change = rtnl_link_alloc();
                        r = nl_error_to_errno(rtnl_link_get_kernel(sk, 0, c->key, &l));
                        if (r < 0)
                                break;
                        if (c->kind == 'l') {
                                /* Fallback devices (tunl0) cannot be deleted; bring them down. */
                                if (nl_error_to_errno(rtnl_link_delete(sk, l)) >= 0) {
                                        log_info("Deleted %s.", c->key);
                                        break;
                                }
                        }
                        if (change) {
                                rtnl_link_unset_flags(change, IFF_UP);
                                (void) rtnl_link_change(sk, l, change, 0);
                                log_info("Set %s down.", c->key);
                        }
                        break;
                }
                }
        }
        state_free(&s);
        if (ret == 0 && unlink(state_path) < 0 && errno != ENOENT)
                ret = log_error_errno(errno, "Cannot remove %s: %m", state_path);
        return ret;
}

static int do_status(const char *state_path) {
        State s = {};
        int r = state_load(state_path, &s);
        if (r < 0)
                return log_error_errno(r, "Cannot read %s: %m", state_path);
        if (arg_json) {
                printf("{\"changes\":[");
                for (size_t i = 0; i < s.n; i++) {
                        printf("%s{\"kind\":\"%s\",\"key\":", i ? "," : "",
                               s.items[i].kind == 's' ? "sysctl" : s.items[i].kind == 'a' ? "address" : "link");
                        ctl_json_string(stdout, s.items[i].key);
                        if (s.items[i].old) {
                                printf(",\"previous\":");
                                ctl_json_string(stdout, s.items[i].old);
                        }
                        printf("}");
                }
                printf("]}\n");
        } else if (s.n == 0)
                printf("No real-server setup recorded in %s.\n", state_path);
        else
                for (size_t i = 0; i < s.n; i++) {
                        const Change *c = &s.items[i];
                        if (c->kind == 's')
                                printf("sysctl  %s (was %s)\n", c->key, strempty(c->old));
                        else if (c->kind == 'a')
                                printf("address %s\n", c->key);
                        else
                                printf("link    %s (%s)\n", c->key, c->kind == 'l' ? "created" : "set up");
                }
        state_free(&s);
        return 0;
}

static int verb_realserver(int argc, char **argv) {
        static const struct option options[] = {
                { "mode", required_argument, NULL, 'm' },
                { "state", required_argument, NULL, 's' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        const char *state_path = getenv("VIGIL_REALSERVER_STATE") ?: DEFAULT_STATE;
        Mode mode = MODE_DR;
        const char *action = NULL;
        int c;

        /* "realserver ACTION [OPTIONS] VIP...": the action first, options anywhere after it. */
        if (argc > 1 && argv[1][0] != '-') {
                action = argv[1];
                argv++;
                argc--;
        }
        while ((c = getopt_long(argc, argv, "m:s:h", options, NULL)) >= 0)
                switch (c) {
                case 'm':
                        if (streq(optarg, "dr"))
                                mode = MODE_DR;
                        else if (streq(optarg, "tun"))
                                mode = MODE_TUN;
                        else {
                                log_error("--mode: expected 'dr' or 'tun', got '%s'.", optarg);
                                return -EINVAL;
                        }
                        break;
                case 's':
                        state_path = optarg;
                        break;
                case 'h':
                        printf("vigilctl realserver setup [--mode dr|tun] [--state FILE] VIP...\n"
                               "vigilctl realserver teardown [--state FILE]\n"
                               "vigilctl realserver status [--state FILE]\n");
                        return 0;
                default:
                        return -EINVAL;
                }
        if (!action) {
                log_error("Missing action: setup, teardown or status.");
                return -EINVAL;
        }

        /* The state file's directory may not exist yet (/run/vigil without tmpfiles). */
        char dir[PATH_MAX];
        snprintf(dir, sizeof dir, "%s", state_path);
        char *slash = strrchr(dir, '/');
        if (slash && slash != dir) {
                *slash = 0;
                (void) mkdir(dir, 0755);
        }

        if (streq(action, "setup")) {
                if (optind >= argc) {
                        log_error("setup needs at least one VIP.");
                        return -EINVAL;
                }
                return do_setup(state_path, mode, argv + optind, argc - optind);
        }
        if (optind < argc) {
                log_error("%s takes no further arguments.", action);
                return -EINVAL;
        }
        if (streq(action, "teardown"))
                return do_teardown(state_path);
        if (streq(action, "status"))
                return do_status(state_path);
        log_error("Unknown action '%s': expected setup, teardown or status.", action);
        return -EINVAL;
}

VIGILCTL_VERB(realserver, "realserver", "setup|teardown|status [--mode dr|tun] VIP...",
              "Prepare this host as an LVS-DR/TUN real server (VIPs on lo/tunl0, ARP sysctls), and undo it",
              verb_realserver);
