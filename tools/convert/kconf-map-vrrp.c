/* SPDX-License-Identifier: GPL-2.0-or-later */
/* keepalived VRRP blocks → vigil: vrrp_script (named exec checks),
 * vrrp_instance, vrrp_sync_group, and their notify scripts. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addr-util.h"
#include "kconf-map-internal.h"
#include "kconf-yaml.h"

/* Collects notify_* scripts of one instance, group or real server. */
typedef struct NotifySet {
        Fields f;
        const KcNode *first;
} NotifySet;

/* notify_master "/path/script args" [username [groupname]] */
static void notify_add(KcMap *m, KcNode *block, size_t i, NotifySet *ns, const char *key) {
        KcNode *n = block->children[i];
        bool shell;

        if (!map_args(m, block, i, 1, 3))
                return;
        if (n->n_args > 1)
                map_warn(m, n, "%s: the user '%s' is not used: vigil-notify runs scripts as the user it runs as",
                         n->keyword, n->args[1]);
        _cleanup_strv_free_ char **argv = map_command(m, n, n->args[0], &shell);
        if (!argv)
                return;
        if (shell) {
                /* vigil-notify runs argv directly: let sh do what it would have done */
                _cleanup_strv_free_ char **sh = calloc(4, sizeof(char *));
                if (!sh || !(sh[0] = strdup("/bin/sh")) || !(sh[1] = strdup("-c")) || !(sh[2] = strdup(argv[0]))) {
                        strv_free(TAKE_PTR(sh));
                        return map_oom(m);
                }
                strv_free(argv);
                argv = TAKE_PTR(sh);
        }
        if (fset_strv(&ns->f, key, argv) < 0)
                return map_oom(m);
        if (!ns->first)
                ns->first = n;
}

static void notify_emit(KcMap *m, NotifySet *ns, const char *kind, const char *name) {
        static const char *const order[] = { "notify", "notify_master", "notify_backup", "notify_fault",
                                             "notify_stop", "notify_up", "notify_down", NULL };
        if (ns->f.n == 0)
                return;
        _cleanup_free_ char *q = y_quoted(name);
        if (!q)
                return map_oom(m);
        map_printf(m, m->notify, "  - %s: %s\n", kind, q);
        femit(m->notify, &ns->f, 4, false, order);
        m->n_notify++;
}

/* ---- vrrp_script ---- */

void map_vrrp_script(KcMap *m, KcNode *s) {
        static const char *const order[] = { "type", "command", "shell", "interval", "timeout", "fall", "rise",
                                             "initial_state", NULL };
        _cleanup_(fields_done) Fields f = {};
        int64_t v;
        usec_t u;
        bool have_script = false;

        if (fset(&f, "type", "exec") < 0 || fset_usec(&f, "interval", USEC_PER_SEC) < 0) /* keepalived: 1s */
                return map_oom(m);
        for (size_t i = 0; i < s->n_children; i++) {
                KcNode *n = s->children[i];
                const char *k = n->keyword;
                if (streq(k, "script")) {
                        bool shell;
                        if (!map_args(m, s, i, 1, 3))
                                continue;
                        if (n->n_args > 1)
                                map_warn(m, n, "script: the user '%s' is not used: vigil-checkerd runs scripts as its "
                                               "own user (vigil-check)", n->args[1]);
                        _cleanup_strv_free_ char **argv = map_command(m, n, n->args[0], &shell);
                        if (!argv)
                                continue;
                        if (fset_strv(&f, "command", argv) < 0)
                                return map_oom(m);
                        if (shell ? fset(&f, "shell", "true") < 0 : (fdel(&f, "shell"), false))
                                return map_oom(m);
                        have_script = true;
                } else if (streq(k, "interval") || streq(k, "timeout")) {
                        if (map_args(m, s, i, 1, 1) && map_timer(m, n, n->args[0], &u)) {
                                if (u == 0) {
                                        map_error(m, n, "'%s' must be more than 0", k);
                                        continue;
                                }
                                if (fset_usec(&f, streq(k, "interval") ? "interval" : "timeout", u) < 0)
                                        return map_oom(m);
                        }
                } else if (streq(k, "rise") || streq(k, "fall")) {
                        if (map_args(m, s, i, 1, 1) && map_int(m, n, n->args[0], 1, 255, &v) &&
                            fset(&f, streq(k, "rise") ? "rise" : "fall", "%lld", (long long) v) < 0)
                                return map_oom(m);
                } else if (streq(k, "weight")) {
                        /* used by track_script (the track weight), checked there */
                        if (map_args(m, s, i, 1, 2) && map_int(m, n, n->args[0], -254, 254, &v) && n->n_args > 1) {
                                if (streq(n->args[1], "reverse"))
                                        map_unsupported(m, n, "'weight %s reverse': reversed weights have no vigil "
                                                              "equivalent, the weight is used unreversed", n->args[0]);
                                else if (!streq(n->args[1], "noreverse") && !streq(n->args[1], "no_reverse"))
                                        map_error(m, n, "weight: unknown option '%s'", n->args[1]);
                        }
                } else if (streq(k, "user")) {
                        map_unsupported(m, n, "scripts run as vigil-checkerd's own unprivileged user (vigil-check)");
                } else if (streq(k, "init_fail")) {
                        if (map_args(m, s, i, 0, 0) && fset(&f, "initial_state", "down") < 0)
                                return map_oom(m);
                } else
                        map_unknown(m, n);
        }
        if (!have_script) {
                map_error(m, s, "vrrp_script '%s' has no 'script'", s->args[0]);
                return;
        }
        /* keepalived waits for a script as long as its interval unless told otherwise */
        if (!fhas(&f, "timeout") && fset(&f, "timeout", "%s", fget(&f, "interval")) < 0)
                return map_oom(m);
        _cleanup_free_ char *q = y_quoted(s->args[0]);
        if (!q)
                return map_oom(m);
        map_printf(m, m->checks, "  %s:\n", q);
        femit(m->checks, &f, 4, false, order);
        m->n_checks++;
}

/* The weight a vrrp_script gives its trackers (0 = none, FAULT when down). */
static int64_t script_weight(KcMap *m, KcNode *script) {
        int64_t w = 0;
        for (size_t i = 0; i < script->n_children; i++) {
                KcNode *n = script->children[i];
                char *end;
                if (streq(n->keyword, "weight") && n->n_args >= 1) {
                        long long v = strtoll(n->args[0], &end, 10);
                        if (*end == '\0' && v >= -254 && v <= 254)
                                w = v;
                }
        }
        return w;
}

/* ---- vrrp_instance ---- */

typedef struct Instance {
        StrSet seen_vips; /* normalized addresses, to find duplicates */
        Fields f;
        Fields garp;
        Str vips, evips; /* "\n"-led block lists */
        size_t n_vips, n_evips;
        int vip_family;
        Str track_if, track_chk; /* flow list bodies */
        Fields auth;
        bool auth_ah;
        const KcNode *auth_node;
        char *ucast_src;
        char **peers;
        size_t n_peers;
        const KcNode *ucast_node;
        bool has_advert;
        usec_t advert;
        const KcNode *advert_node;
        int version;
        const KcNode *version_node;
        int accept;           /* -1 = keepalived's default */
        int strict;           /* strict_mode: -1 = the global vrrp_strict */
        int priority;         /* -1 = unset */
        int state_master;     /* -1 = unset */
        bool nopreempt;
        const KcNode *preempt_delay_node;
        const KcNode *state_node;
        const KcNode *nopreempt_node;
        NotifySet notify;
} Instance;

static void instance_done(Instance *in) {
        strset_done(&in->seen_vips);
        fields_done(&in->f);
        fields_done(&in->garp);
        fields_done(&in->auth);
        str_done(&in->vips);
        str_done(&in->evips);
        str_done(&in->track_if);
        str_done(&in->track_chk);
        free(in->ucast_src);
        strv_free(in->peers);
        fields_done(&in->notify.f);
}

/* ADDR[/LEN] [brd X] [dev D] [scope S] [label L] [...] */
static void map_vip(KcMap *m, KcNode *n, Str *list, size_t *count, int *family, StrSet *seen) {
        static const char *const order[] = { "address", "device", "label", "scope", "broadcast", NULL };
        _cleanup_(fields_done) Fields f = {};
        char norm[ADDR_STR_MAX];
        InAddrPrefix pfx;
        int fam;

        if (!map_address(m, n, n->keyword, true, &fam))
                return;
        if (parse_address_prefix(n->keyword, &pfx) < 0)
                return;
        format_address(norm, sizeof norm, pfx.family, &pfx.addr);
        int r = strset_add(seen, norm);
        if (r < 0)
                return map_oom(m);
        if (r == 0) {
                map_warn(m, n, "virtual address %s is listed twice in this instance: this entry is ignored", norm);
                return;
        }
        if (*family == AF_UNSPEC)
                *family = fam;
        if (fset_str(&f, "address", n->keyword) < 0)
                return map_oom(m);
        for (size_t a = 0; a < n->n_args; a++) {
                const char *w = n->args[a], *next = a + 1 < n->n_args ? n->args[a + 1] : NULL;
                if (streq(w, "dev") && next) {
                        if (!ifname_valid(next)) {
                                map_error(m, n, "virtual address %s: invalid interface name '%s'", n->keyword, next);
                                return;
                        }
                        if (fset_str(&f, "device", next) < 0)
                                return map_oom(m);
                        a++;
                } else if (streq(w, "label") && next) {
                        if (fset_str(&f, "label", next) < 0)
                                return map_oom(m);
                        a++;
                } else if (streq(w, "scope") && next) {
                        if (!streq(next, "global") && !streq(next, "host") && !streq(next, "link") &&
                            !streq(next, "site")) {
                                map_warn(m, n, "virtual address %s: scope '%s' not supported, the default "
                                               "(global) is used", n->keyword, next);
                        } else if (fset_str(&f, "scope", next) < 0)
                                return map_oom(m);
                        a++;
                } else if ((streq(w, "brd") || streq(w, "broadcast")) && next) {
                        if (!map_address(m, n, next, false, NULL))
                                return;
                        if (fset_str(&f, "broadcast", next) < 0)
                                return map_oom(m);
                        a++;
                } else if ((streq(w, "peer") || streq(w, "preferred_lft") || streq(w, "track_group")) && next) {
                        map_warn(m, n, "virtual address %s: option '%s %s' not supported, ignored", n->keyword, w, next);
                        a++;
                } else if (streq(w, "no_track") || streq(w, "home") || streq(w, "-nodad") || streq(w, "nodad") ||
                           streq(w, "mngtmpaddr") || streq(w, "noprefixroute") || streq(w, "autojoin") ||
                           streq(w, "use_vmac")) {
                        map_warn(m, n, "virtual address %s: option '%s' not supported, ignored", n->keyword, w);
                } else {
                        map_error(m, n, "virtual address %s: unknown option '%s'", n->keyword, w);
                        return;
                }
        }
        _cleanup_free_ char *flow = fflow(&f, order);
        if (!flow || str_appendf(list, "\n        - %s", flow) < 0)
                return map_oom(m);
        (*count)++;
}

static void map_vip_block(KcMap *m, KcNode *b, Str *list, size_t *count, int *family, StrSet *seen) {
        if (!b->block) {
                map_error(m, b, "'%s' needs a { } block of addresses", b->keyword);
                return;
        }
        for (size_t i = 0; i < b->n_children; i++) {
                if (b->children[i]->block) {
                        map_error(m, b->children[i], "unexpected block inside '%s'", b->keyword);
                        continue;
                }
                map_vip(m, b->children[i], list, count, family, seen);
        }
}

static bool parse_weight_opts(KcMap *m, KcNode *n, int64_t *weight, bool *has) {
        *has = false;
        for (size_t a = 0; a < n->n_args; a++) {
                const char *w = n->args[a];
                if (streq(w, "weight") && a + 1 < n->n_args) {
                        if (!map_int(m, n, n->args[a + 1], -254, 254, weight))
                                return false;
                        *has = true;
                        a++;
                } else if (streq(w, "reverse"))
                        map_warn(m, n, "'%s': 'reverse' not supported: the weight is applied unreversed", n->keyword);
                else if (streq(w, "noreverse") || streq(w, "no_reverse"))
                        ;
                else {
                        map_error(m, n, "'%s': unknown option '%s' (expected 'weight N')", n->keyword, w);
                        return false;
                }
        }
        return true;
}

static void map_track_interface(KcMap *m, KcNode *b, Instance *in) {
        for (size_t i = 0; i < b->n_children; i++) {
                KcNode *n = b->children[i];
                int64_t w = 0;
                bool has;
                if (!ifname_valid(n->keyword)) {
                        map_error(m, n, "track_interface: invalid interface name '%s'", n->keyword);
                        continue;
                }
                if (!parse_weight_opts(m, n, &w, &has))
                        continue;
                _cleanup_free_ char *q = y_quoted(n->keyword);
                if (!q || str_appendf(&in->track_if, "%s{name: %s", in->track_if.len ? ", " : "", q) < 0 ||
                    (has && w != 0 && str_appendf(&in->track_if, ", weight: %lld", (long long) w) < 0) ||
                    str_appendf(&in->track_if, "}") < 0)
                        return map_oom(m);
        }
}

static void map_track_script(KcMap *m, KcNode *b, Instance *in) {
        for (size_t i = 0; i < b->n_children; i++) {
                KcNode *n = b->children[i];
                int64_t w = 0;
                bool has;
                KcNode *script = map_find_block(m->scripts, m->n_scripts, n->keyword);
                if (!script) {
                        /* keepalived ignores it too, with a warning */
                        map_warn(m, n, "track_script '%s': no vrrp_script of that name, ignored", n->keyword);
                        continue;
                }
                if (!parse_weight_opts(m, n, &w, &has))
                        continue;
                if (!has)
                        w = script_weight(m, script);
                _cleanup_free_ char *q = y_quoted(n->keyword);
                if (!q || str_appendf(&in->track_chk, "%s{name: %s", in->track_chk.len ? ", " : "", q) < 0 ||
                    (w != 0 && str_appendf(&in->track_chk, ", weight: %lld", (long long) w) < 0) ||
                    str_appendf(&in->track_chk, "}") < 0)
                        return map_oom(m);
        }
}

static void map_authentication(KcMap *m, KcNode *b, Instance *in) {
        in->auth_node = b;
        for (size_t i = 0; i < b->n_children; i++) {
                KcNode *n = b->children[i];
                if (streq(n->keyword, "auth_type")) {
                        if (!map_args(m, b, i, 1, 1))
                                continue;
                        if (streq(n->args[0], "AH"))
                                in->auth_ah = true;
                        else if (!streq(n->args[0], "PASS")) {
                                map_error(m, n, "auth_type: expected PASS or AH, got '%s'", n->args[0]);
                                continue;
                        }
                } else if (streq(n->keyword, "auth_pass")) {
                        if (!map_args(m, b, i, 1, 1))
                                continue;
                        char pw[9] = {};
                        /* keepalived uses the first 8 characters only */
                        strncpy(pw, n->args[0], 8);
                        if (strlen(n->args[0]) > 8)
                                map_warn(m, n, "auth_pass longer than 8 characters: only '%s' is used, as keepalived does", pw);
                        if (!*pw) {
                                map_error(m, n, "auth_pass: empty password");
                                continue;
                        }
                        if (fset_str(&in->auth, "password", pw) < 0)
                                return map_oom(m);
                } else
                        map_unknown(m, n);
        }
}

static void map_unicast_peer(KcMap *m, KcNode *b, Instance *in) {
        in->ucast_node = b;
        for (size_t i = 0; i < b->n_children; i++) {
                KcNode *n = b->children[i];
                if (!map_address(m, n, n->keyword, false, NULL))
                        continue;
                if (n->n_args > 0)
                        map_warn(m, n, "unicast_peer %s: TTL checks (%s) not supported, ignored", n->keyword, n->args[0]);
                size_t k = in->n_peers;
                if ((k & (k + 1)) == 0 || k == 0) { /* grow at 0, 1, 3, 7, ... entries: geometric */
                        char **p = realloc(in->peers, (2 * k + 2) * sizeof *p);
                        if (!p)
                                return map_oom(m);
                        in->peers = p;
                }
                if (!(in->peers[k] = strdup(n->keyword)))
                        return map_oom(m);
                in->peers[k + 1] = NULL;
                in->n_peers++;
        }
}

static bool garp_keyword(KcMap *m, KcNode *b, size_t i, Fields *garp) {
        KcNode *n = b->children[i];
        const char *k = n->keyword;
        int64_t v;
        usec_t u;
        const char *key = streq(k, "garp_master_delay") ? "master_delay" :
                          streq(k, "garp_master_refresh") ? "refresh" :
                          streq(k, "garp_interval") ? "interval" : NULL;
        if (key) {
                if (map_args(m, b, i, 1, 1) && map_timer(m, n, n->args[0], &u) && fset_usec(garp, key, u) < 0)
                        map_oom(m);
                return true;
        }
        if (streq(k, "garp_master_repeat") || streq(k, "garp_master_refresh_repeat")) {
                bool rep = streq(k, "garp_master_repeat");
                if (map_args(m, b, i, 1, 1) && map_int(m, n, n->args[0], rep ? 0 : 1, 255, &v) &&
                    fset(garp, rep ? "repeat" : "refresh_repeat", "%lld", (long long) v) < 0)
                        map_oom(m);
                return true;
        }
        return false;
}

static const char *const smtp_reason = "e-mail alerts are not sent by vigil: use vigil-notify with a mail command";

void map_vrrp_instance(KcMap *m, KcNode *b) {
        static const char *const order[] = { "interface", "virtual_router_id", "priority", "initial_state", "version",
                                             "advert_interval", "preempt", "preempt_delay", "accept", "authentication",
                                             "unicast", "virtual_addresses", "excluded_addresses", "track", "use_vmac",
                                             "vmac_interface", "garp", NULL };
        static const char *const garp_order[] = { "repeat", "interval", "refresh", "refresh_repeat", "master_delay", NULL };
        _cleanup_(instance_done) Instance in = { .accept = -1, .strict = -1, .priority = -1, .state_master = -1,
                                                 .vip_family = AF_UNSPEC };
        const char *name = b->args[0];
        int64_t v;
        usec_t u;

        for (size_t i = 0; i < b->n_children; i++) {
                KcNode *n = b->children[i];
                const char *k = n->keyword;
                if (streq(k, "state")) {
                        if (!map_args(m, b, i, 1, 1))
                                continue;
                        if (!streq(n->args[0], "MASTER") && !streq(n->args[0], "BACKUP")) {
                                map_error(m, n, "state: expected MASTER or BACKUP, got '%s'", n->args[0]);
                                continue;
                        }
                        in.state_master = streq(n->args[0], "MASTER");
                        in.state_node = n;
                } else if (streq(k, "interface")) {
                        if (!map_args(m, b, i, 1, 1))
                                continue;
                        if (!ifname_valid(n->args[0])) {
                                map_error(m, n, "interface: invalid interface name '%s'", n->args[0]);
                                continue;
                        }
                        if (fset_str(&in.f, "interface", n->args[0]) < 0)
                                return map_oom(m);
                } else if (streq(k, "virtual_router_id")) {
                        if (map_args(m, b, i, 1, 1) && map_int(m, n, n->args[0], 1, 255, &v) &&
                            fset(&in.f, "virtual_router_id", "%lld", (long long) v) < 0)
                                return map_oom(m);
                } else if (streq(k, "priority")) {
                        if (map_args(m, b, i, 1, 1) && map_int(m, n, n->args[0], 1, 255, &v))
                                in.priority = (int) v;
                } else if (streq(k, "strict_mode")) {
                        bool on;
                        if (map_args(m, b, i, 0, 1) && map_bool(m, n, n->n_args ? n->args[0] : NULL, &on))
                                in.strict = on;
                } else if (streq(k, "advert_int")) {
                        if (map_args(m, b, i, 1, 1) && map_timer(m, n, n->args[0], &u)) {
                                if (u < 10 * USEC_PER_MSEC || u > 255 * USEC_PER_SEC) {
                                        map_error(m, n, "advert_int: %s is out of range (0.01..255 seconds)", n->args[0]);
                                        continue;
                                }
                                in.has_advert = true;
                                in.advert = u;
                                in.advert_node = n;
                        }
                } else if (streq(k, "version")) {
                        if (map_args(m, b, i, 1, 1) && map_int(m, n, n->args[0], 2, 3, &v)) {
                                in.version = (int) v;
                                in.version_node = n;
                        }
                } else if (streq(k, "nopreempt") || streq(k, "no_preempt")) {
                        if (map_args(m, b, i, 0, 0)) {
                                in.nopreempt = true;
                                in.nopreempt_node = n;
                        }
                } else if (streq(k, "preempt")) {
                        if (map_args(m, b, i, 0, 0))
                                in.nopreempt = false;
                } else if (streq(k, "preempt_delay")) {
                        if (map_args(m, b, i, 1, 1) && map_timer(m, n, n->args[0], &u)) {
                                if (fset_usec(&in.f, "preempt_delay", u) < 0)
                                        return map_oom(m);
                                in.preempt_delay_node = n;
                        }
                } else if (streq(k, "accept") || streq(k, "no_accept")) {
                        if (map_args(m, b, i, 0, 0))
                                in.accept = streq(k, "accept");
                } else if (streq(k, "authentication")) {
                        if (!n->block)
                                map_error(m, n, "'authentication' needs a { } block");
                        else
                                map_authentication(m, n, &in);
                } else if (streq(k, "unicast_src_ip")) {
                        if (!map_args(m, b, i, 1, 1) || !map_address(m, n, n->args[0], false, NULL))
                                continue;
                        free(in.ucast_src);
                        if (!(in.ucast_src = strdup(n->args[0])))
                                return map_oom(m);
                        if (!in.ucast_node)
                                in.ucast_node = n;
                } else if (streq(k, "unicast_peer")) {
                        if (!n->block)
                                map_error(m, n, "'unicast_peer' needs a { } block");
                        else
                                map_unicast_peer(m, n, &in);
                } else if (streq(k, "virtual_ipaddress")) {
                        map_vip_block(m, n, &in.vips, &in.n_vips, &in.vip_family, &in.seen_vips);
                } else if (streq(k, "virtual_ipaddress_excluded")) {
                        int fam = AF_UNSPEC;
                        map_vip_block(m, n, &in.evips, &in.n_evips, &fam, &in.seen_vips);
                } else if (streq(k, "track_interface")) {
                        if (!n->block)
                                map_error(m, n, "'track_interface' needs a { } block");
                        else
                                map_track_interface(m, n, &in);
                } else if (streq(k, "track_script")) {
                        if (!n->block)
                                map_error(m, n, "'track_script' needs a { } block");
                        else
                                map_track_script(m, n, &in);
                } else if (streq(k, "notify_master") || streq(k, "notify_backup") || streq(k, "notify_fault") ||
                           streq(k, "notify_stop") || streq(k, "notify")) {
                        notify_add(m, b, i, &in.notify, streq(k, "notify_master") ? "notify_master" :
                                                        streq(k, "notify_backup") ? "notify_backup" :
                                                        streq(k, "notify_fault") ? "notify_fault" :
                                                        streq(k, "notify_stop") ? "notify_stop" : "notify");
                } else if (streq(k, "use_vmac")) {
                        if (fset(&in.f, "use_vmac", "true") < 0)
                                return map_oom(m);
                        for (size_t a = 0; a < n->n_args; a++) {
                                const char *w = n->args[a];
                                if (strchr(w, ':'))
                                        map_warn(m, n, "use_vmac: the MAC address '%s' is not used: vigil uses the "
                                                       "VRRP virtual MAC (00:00:5e:00:01:VRID)", w);
                                else if (!ifname_valid(w))
                                        map_error(m, n, "use_vmac: invalid interface name '%s'", w);
                                else if (fset_str(&in.f, "vmac_interface", w) < 0)
                                        return map_oom(m);
                        }
                } else if (garp_keyword(m, b, i, &in.garp)) {
                        ;
                } else if (streq(k, "lvs_sync_daemon_interface")) {
                        if (!map_args(m, b, i, 1, 1))
                                continue;
                        if (fset_str(&m->ipvs_sync, "interface", n->args[0]) < 0 ||
                            fset_str(&m->ipvs_sync, "instance", name) < 0)
                                return map_oom(m);
                        m->ipvs_sync_node = n;
                } else if (streq(k, "smtp_alert")) {
                        map_unsupported(m, n, "%s", smtp_reason);
                } else if (streq(k, "native_ipv6")) {
                        map_noop(m, n, "the address family follows the virtual addresses");
                } else if (streq(k, "dont_track_primary")) {
                        map_unsupported(m, n, "vigil always tracks the VRRP interface (a down interface is FAULT)");
                } else if (streq(k, "track_file") || streq(k, "track_process") || streq(k, "track_bfd") ||
                           streq(k, "virtual_routes") || streq(k, "virtual_rules") || streq(k, "mcast_src_ip") ||
                           streq(k, "mcast_dst_ip") || streq(k, "use_vmac_addr") || streq(k, "vmac_xmit_base") ||
                           streq(k, "use_ipvlan") || streq(k, "notify_master_rx_lower_pri") ||
                           streq(k, "notify_deleted") || streq(k, "notify_priority_changes") ||
                           streq(k, "garp_lower_prio_delay") || streq(k, "garp_lower_prio_repeat") ||
                           streq(k, "garp_extra_if") || streq(k, "garp_extra_if_vmac") || streq(k, "gna_interval") ||
                           streq(k, "unicast_ttl") || streq(k, "unicast_fault_no_peer") || streq(k, "check_unicast_src") ||
                           streq(k, "track_src_ip") || streq(k, "debug") ||
                           streq(k, "skip_check_adv_addr") || streq(k, "promote_secondaries") ||
                           streq(k, "down_timer_adverts") || streq(k, "old_unicast_checksum") ||
                           streq(k, "kernel_rx_buf_size") || streq(k, "vrf") || streq(k, "unicast_src_port") ||
                           streq(k, "dont_track_primary")) {
                        map_unsupported(m, n, "no vigil equivalent, ignored");
                } else
                        map_unknown(m, n);
        }

        /* Required by both keepalived and vigil. */
        if (!fhas(&in.f, "interface")) {
                map_error(m, b, "vrrp_instance %s: no 'interface' (vigil needs the interface VRRP runs on)", name);
                return;
        }
        if (!fhas(&in.f, "virtual_router_id")) {
                map_error(m, b, "vrrp_instance %s: no 'virtual_router_id'", name);
                return;
        }

        /* keepalived's defaults and corrections (vrrp.c, vrrp_complete_instance), written out */
        bool strict = in.strict >= 0 ? in.strict : m->vrrp_strict;
        if (in.priority < 0)
                in.priority = in.state_master > 0 ? 255 : 100; /* "state MASTER" alone means address owner */
        if (in.state_master < 0)
                in.state_master = in.priority == 255;
        else if (strict && in.state_master != (in.priority == 255)) {
                map_warn(m, in.state_node, "vrrp_strict: state MASTER must match being the address owner "
                                           "(priority 255): keepalived starts as %s, so does vigil",
                         in.priority == 255 ? "MASTER" : "BACKUP");
                in.state_master = in.priority == 255;
        }
        if (fset(&in.f, "priority", "%d", in.priority) < 0 ||
            fset(&in.f, "initial_state", in.state_master ? "master" : "backup") < 0)
                return map_oom(m);
        int version = in.version ? in.version : m->vrrp_version ? m->vrrp_version : 2;
        if (in.vip_family == AF_INET6 && version != 3) {
                /* keepalived: "IPv6 instances will always use version 3" */
                if (in.version == 2)
                        map_warn(m, in.version_node, "version 2 with IPv6 addresses: keepalived uses version 3, so does vigil");
                version = 3;
        }
        if (fset(&in.f, "version", "%d", version) < 0)
                return map_oom(m);
        u = in.has_advert ? in.advert : USEC_PER_SEC;
        if (version == 2 && u % USEC_PER_SEC != 0) {
                /* VRRPv2 adverts carry whole seconds */
                usec_t r = (u + USEC_PER_SEC / 2) / USEC_PER_SEC * USEC_PER_SEC;
                if (r == 0)
                        r = USEC_PER_SEC;
                map_warn(m, in.advert_node, "advert_int %s with VRRP version 2: rounded to %llu s as keepalived does "
                                            "(set 'version 3' for sub-second adverts)",
                         in.advert_node->args[0], (unsigned long long) (r / USEC_PER_SEC));
                u = r;
        }
        if (in.state_master && in.nopreempt) {
                map_warn(m, in.nopreempt_node, "nopreempt does not work with state MASTER: keepalived clears it, "
                                               "so does the converted configuration");
                in.nopreempt = false;
        }
        if (in.state_master && in.preempt_delay_node) {
                map_warn(m, in.preempt_delay_node, "preempt_delay does not work with state MASTER: keepalived "
                                                   "clears it, so does the converted configuration");
                fdel(&in.f, "preempt_delay");
        }
        if (fset_usec(&in.f, "advert_interval", u) < 0 || fset(&in.f, "preempt", in.nopreempt ? "false" : "true") < 0)
                return map_oom(m);
        /* keepalived accepts traffic to the VIPs unless strict (or no_accept); the address owner always;
         * strict VRRPv2 never (RFC 3768) */
        bool accept = in.accept >= 0 ? in.accept : in.priority == 255 ? true : !strict;
        if (accept && in.priority != 255 && strict && version == 2) {
                if (in.accept > 0)
                        map_warn(m, b, "vrrp_instance %s: accept with strict VRRPv2 does not comply with RFC 3768: "
                                       "keepalived resets it, so does the converted configuration", name);
                accept = false;
        }
        if (fset(&in.f, "accept", "%s", accept ? "true" : "false") < 0)
                return map_oom(m);

        if (in.auth_node) {
                if (strict)
                        map_warn(m, in.auth_node, "authentication in strict mode: keepalived ignores it, so does "
                                                  "the converted configuration");
                else if (in.auth_ah)
                        map_unsupported(m, in.auth_node, "auth_type AH (IPsec AH) is not implemented: "
                                                         "no authentication is used");
                else if (version != 2)
                        map_warn(m, in.auth_node, "authentication with VRRP version 3: keepalived ignores it, "
                                                  "so does the converted configuration");
                else if (!fhas(&in.auth, "password"))
                        map_error(m, in.auth_node, "authentication: no auth_pass");
                else {
                        static const char *const aorder[] = { "type", "password", NULL };
                        if (fset(&in.auth, "type", "pass") < 0)
                                return map_oom(m);
                        _cleanup_free_ char *s = fflow(&in.auth, aorder);
                        if (!s || fset(&in.f, "authentication", "%s", s) < 0)
                                return map_oom(m);
                }
        }
        if (in.peers) {
                _cleanup_free_ char *peers = y_flow_strv_string(in.peers);
                _cleanup_free_ char *src = in.ucast_src ? y_quoted(in.ucast_src) : NULL;
                if (!peers || (in.ucast_src && !src))
                        return map_oom(m);
                if (src ? fset(&in.f, "unicast", "{source: %s, peers: %s}", src, peers) < 0 :
                          fset(&in.f, "unicast", "{peers: %s}", peers) < 0)
                        return map_oom(m);
        } else if (in.ucast_src)
                map_warn(m, in.ucast_node, "unicast_src_ip without unicast_peer: keepalived uses multicast then, "
                                           "so does the converted configuration");
        if (in.vips.len && fset(&in.f, "virtual_addresses", "%s", in.vips.s) < 0)
                return map_oom(m);
        if (in.evips.len && fset(&in.f, "excluded_addresses", "%s", in.evips.s) < 0)
                return map_oom(m);
        if (in.track_if.len || in.track_chk.len) {
                _cleanup_(str_done) Str t = {};
                if ((in.track_if.len && str_appendf(&t, "\n        interfaces: [%s]", in.track_if.s) < 0) ||
                    (in.track_chk.len && str_appendf(&t, "\n        checks: [%s]", in.track_chk.s) < 0) ||
                    fset(&in.f, "track", "%s", t.s) < 0)
                        return map_oom(m);
        }
        /* global vrrp_garp_* are the defaults of every instance */
        for (size_t i = 0; i < m->garp_defaults.n; i++)
                if (!fhas(&in.garp, m->garp_defaults.items[i].key) &&
                    fset(&in.garp, m->garp_defaults.items[i].key, "%s", m->garp_defaults.items[i].value) < 0)
                        return map_oom(m);
        if (in.garp.n > 0) {
                _cleanup_free_ char *s = fflow(&in.garp, garp_order);
                if (!s || fset(&in.f, "garp", "%s", s) < 0)
                        return map_oom(m);
        }

        _cleanup_free_ char *q = y_quoted(name);
        if (!q)
                return map_oom(m);
        map_printf(m, m->instances, "    %s:\n", q);
        femit(m->instances, &in.f, 6, false, order);
        m->n_instances++;
        notify_emit(m, &in.notify, "instance", name);
}

/* ---- vrrp_sync_group ---- */

void map_vrrp_sync_group(KcMap *m, KcNode *b) {
        _cleanup_strv_free_ char **members = calloc(1, sizeof(char *));
        _cleanup_free_ char *q = NULL, *list = NULL;
        size_t n_members = 0, cap_members = 1;
        NotifySet ns = {};
        const char *name = b->args[0];

        if (!members)
                return map_oom(m);
        for (size_t i = 0; i < b->n_children; i++) {
                KcNode *n = b->children[i];
                const char *k = n->keyword;
                if (streq(k, "group")) {
                        if (!n->block) {
                                map_error(m, n, "'group' needs a { } block of instance names");
                                continue;
                        }
                        /* one or more names per line */
                        for (size_t j = 0; j < n->n_children; j++) {
                                KcNode *c = n->children[j];
                                for (size_t a = 0; a <= c->n_args; a++) {
                                        const char *w = a == 0 ? c->keyword : c->args[a - 1];
                                        if (n_members + 2 > cap_members) {
                                                cap_members = MAX(8u, cap_members * 2);
                                                char **mm = realloc(members, cap_members * sizeof *mm);
                                                if (!mm)
                                                        goto oom;
                                                members = mm;
                                        }
                                        if (!(members[n_members] = strdup(w)))
                                                goto oom;
                                        members[++n_members] = NULL;
                                }
                        }
                } else if (streq(k, "notify_master") || streq(k, "notify_backup") || streq(k, "notify_fault") ||
                           streq(k, "notify_stop") || streq(k, "notify")) {
                        notify_add(m, b, i, &ns, streq(k, "notify_master") ? "notify_master" :
                                                 streq(k, "notify_backup") ? "notify_backup" :
                                                 streq(k, "notify_fault") ? "notify_fault" :
                                                 streq(k, "notify_stop") ? "notify_stop" : "notify");
                } else if (streq(k, "smtp_alert")) {
                        map_unsupported(m, n, "%s", smtp_reason);
                } else if (streq(k, "global_tracking") || streq(k, "sync_group_tracking_weight") ||
                           streq(k, "track_interface") || streq(k, "track_script") || streq(k, "track_file") ||
                           streq(k, "track_process") || streq(k, "track_bfd") || streq(k, "notify_priority_changes")) {
                        map_unsupported(m, n, "tracking is per instance in vigil: put it in each vrrp_instance");
                } else
                        map_unknown(m, n);
        }
        if (!members[0]) {
                /* keepalived ignores an empty group too */
                map_warn(m, b, "vrrp_sync_group %s has no instances (expected group { VI_1 VI_2 }): ignored", name);
                goto done;
        }
        q = y_quoted(name);
        list = y_flow_strv_string(members);
        if (!q || !list)
                goto oom;
        map_printf(m, m->sync_groups, "    %s: %s\n", q, list);
        m->n_sync_groups++;
        notify_emit(m, &ns, "group", name);
done:
        fields_done(&ns.f);
        return;
oom:
        map_oom(m);
        fields_done(&ns.f);
}
