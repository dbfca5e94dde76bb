/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The mapper's frame: diagnostics, value parsing, ordered fields, the
 * top-level dispatch, global_defs, and the assembly of the YAML document. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr-util.h"
#include "kconf-map-internal.h"
#include "kconf-yaml.h"

/* ---- diagnostics ---- */

void map_oom(KcMap *m) {
        m->oom = true;
}

void map_error(KcMap *m, const KcNode *n, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        kc_diagv(m->diags, KC_ERROR, n ? n->file : NULL, n ? n->line : 0, fmt, ap);
        va_end(ap);
}

static void add_note(KcMap *m, const KcNode *n, const char *msg) {
        char *s = NULL;
        if (asprintf(&s, "%s:%u: %s", n && n->file ? n->file : "?", n ? n->line : 0, msg) < 0)
                return map_oom(m);
        if (m->n_notes == m->cap_notes) {
                size_t cap = m->cap_notes ? m->cap_notes * 2 : 16;
                char **v = realloc(m->notes, cap * sizeof *v);
                if (!v) {
                        free(s);
                        return map_oom(m);
                }
                m->notes = v;
                m->cap_notes = cap;
        }
        m->notes[m->n_notes++] = s;
}

static void warnv(KcMap *m, const KcNode *n, const char *prefix, const char *fmt, va_list ap) {
        _cleanup_free_ char *body = NULL, *msg = NULL;
        if (vasprintf(&body, fmt, ap) < 0 || asprintf(&msg, "%s%s", prefix, body) < 0)
                return map_oom(m);
        kc_diag(m->diags, KC_WARNING, n ? n->file : NULL, n ? n->line : 0, "%s", msg);
        add_note(m, n, msg);
}

void map_unsupported(KcMap *m, const KcNode *n, const char *fmt, ...) {
        _cleanup_free_ char *prefix = NULL;
        if (asprintf(&prefix, "keyword '%s' not supported: ", n->keyword) < 0)
                return map_oom(m);
        va_list ap;
        va_start(ap, fmt);
        warnv(m, n, prefix, fmt, ap);
        va_end(ap);
}

void map_warn(KcMap *m, const KcNode *n, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        warnv(m, n, "", fmt, ap);
        va_end(ap);
}

void map_noop(KcMap *m, const KcNode *n, const char *reason) {
        _cleanup_free_ char *msg = NULL;
        if (asprintf(&msg, "'%s' needs no equivalent: %s", n->keyword, reason) < 0)
                return map_oom(m);
        add_note(m, n, msg);
}

void map_unknown(KcMap *m, const KcNode *n) {
        map_unsupported(m, n, "unknown in this block, ignored");
}

void map_printf(KcMap *m, FILE *f, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        if (vfprintf(f, fmt, ap) < 0)
                map_oom(m);
        va_end(ap);
}

/* ---- arguments and values ---- */

bool map_args(KcMap *m, KcNode *block, size_t i, size_t min, size_t max) {
        KcNode *n = block->children[i];

        if (n->n_args < min) {
                map_error(m, n, "'%s' needs %s%zu argument%s", n->keyword, min == max ? "" : "at least ", min,
                          min == 1 ? "" : "s");
                return false;
        }
        if (n->n_args <= max)
                return true;
        /* Extra words: a statement of their own, read next. Inserting shifts
         * the rest of the block; bound the total so a hostile file (10^6
         * one-line statements in one block) ends with an error, not in hours. */
        m->split_moves += block->n_children - i;
        if (m->split_moves > 64u * 1024 * 1024) {
                if (!m->split_refused)
                        map_error(m, n, "too many statements sharing lines in a very large block: put '%s' on a "
                                        "line of its own (and the following ones too)", n->args[max]);
                m->split_refused = true;
                return false;
        }
        KcNode *rest = kc_node_new(n->args[max], n->file, n->line);
        if (!rest) {
                map_oom(m);
                return false;
        }
        for (size_t k = max + 1; k < n->n_args; k++)
                if (kc_node_add_arg(rest, n->args[k]) < 0) {
                        kc_node_free(rest);
                        map_oom(m);
                        return false;
                }
        if (kc_node_add_child(block, rest) < 0) {
                kc_node_free(rest);
                map_oom(m);
                return false;
        }
        /* move it right after n */
        memmove(block->children + i + 2, block->children + i + 1, (block->n_children - i - 2) * sizeof(KcNode *));
        block->children[i + 1] = rest;
        for (size_t k = max; k < n->n_args; k++) {
                free(n->args[k]);
                n->args[k] = NULL;
        }
        n->n_args = max;
        return true;
}

bool map_int(KcMap *m, const KcNode *n, const char *s, int64_t min, int64_t max, int64_t *ret) {
        char *end = NULL;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (errno != 0 || end == s || *end != '\0' || isspace((unsigned char) *s) || v < min || v > max) {
                map_error(m, n, "'%s': invalid value '%s' (expected an integer %lld..%lld)", n->keyword, s,
                          (long long) min, (long long) max);
                return false;
        }
        *ret = v;
        return true;
}

bool map_timer(KcMap *m, const KcNode *n, const char *s, usec_t *ret) {
        usec_t u;
        /* keepalived timers are plain decimal seconds ("3", "0.92"); no units */
        bool ok = *s != '\0' && strspn(s, "0123456789.") == strlen(s) && parse_duration(s, &u) >= 0;
        if (!ok || u > 100000ULL * USEC_PER_SEC) {
                map_error(m, n, "'%s': invalid time '%s' (expected seconds, e.g. 3 or 0.5)", n->keyword, s);
                return false;
        }
        *ret = u;
        return true;
}

bool map_bool(KcMap *m, const KcNode *n, const char *s, bool *ret) {
        static const char *const yes[] = { "on", "true", "yes" }, *const no[] = { "off", "false", "no" };
        if (!s) {
                *ret = true;
                return true;
        }
        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (strcasecmp(s, yes[i]) == 0) {
                        *ret = true;
                        return true;
                }
                if (strcasecmp(s, no[i]) == 0) {
                        *ret = false;
                        return true;
                }
        }
        map_error(m, n, "'%s': invalid value '%s' (expected on|off|true|false|yes|no)", n->keyword, s);
        return false;
}

bool map_address(KcMap *m, const KcNode *n, const char *s, bool allow_prefix, int *ret_family) {
        InAddrPrefix p;
        if ((allow_prefix ? parse_address_prefix(s, &p) : parse_address(s, &p.family, &p.addr)) < 0) {
                map_error(m, n, "'%s': invalid IP address '%s'", n->keyword, s);
                return false;
        }
        if (ret_family)
                *ret_family = p.family;
        return true;
}

bool map_port(KcMap *m, const KcNode *n, const char *s, uint16_t *ret) {
        int64_t v;
        if (!map_int(m, n, s, 0, 65535, &v))
                return false;
        *ret = (uint16_t) v;
        return true;
}

char **map_command(KcMap *m, const KcNode *n, const char *s, bool *shell) {
        char **argv = NULL;
        int r = kc_split_command(s, &argv);
        if (r == -ENOMEM) {
                map_oom(m);
                return NULL;
        }
        if (r < 0) {
                map_error(m, n, "'%s': unterminated quote in command '%s'", n->keyword, s);
                return NULL;
        }
        if (!argv[0]) {
                strv_free(argv);
                map_error(m, n, "'%s': empty command", n->keyword);
                return NULL;
        }
        /* keepalived execs the program itself; a relative name is looked up
         * in PATH and shell syntax needs sh: vigil's exec checks want an
         * absolute argv[0], so those go through /bin/sh -c as they are. */
        *shell = argv[0][0] != '/' || strpbrk(s, "<>|&;$`*?(){}[]~") != NULL;
        if (*shell) {
                strv_free(argv);
                argv = calloc(2, sizeof(char *));
                if (!argv || !(argv[0] = strdup(s))) {
                        strv_free(argv);
                        map_oom(m);
                        return NULL;
                }
        }
        return argv;
}

/* Blocks are sorted by name, equal names in file order (their line order in
 * the list is kept by a stable merge: qsort is not stable, so compare the
 * original positions, which the caller's list order gives). */
typedef struct BlockRef {
        KcNode *node;
        size_t index;
} BlockRef;

static int block_ref_cmp(const void *a, const void *b) {
        const BlockRef *x = a, *y = b;
        int r = strcmp(x->node->args[0], y->node->args[0]);
        return r != 0 ? r : x->index < y->index ? -1 : x->index > y->index;
}

void map_sort_blocks(KcNode **list, size_t n) {
        BlockRef *refs = calloc(n ? n : 1, sizeof *refs);
        if (!refs)
                return; /* unsorted: lookups then fall back to a scan */
        for (size_t i = 0; i < n; i++)
                refs[i] = (BlockRef) { .node = list[i], .index = i };
        qsort(refs, n, sizeof *refs, block_ref_cmp);
        for (size_t i = 0; i < n; i++)
                list[i] = refs[i].node;
        free(refs);
}

KcNode *map_find_block(KcNode **list, size_t n, const char *name) {
        /* binary search for the last entry with this name: the last definition wins */
        size_t lo = 0, hi = n;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (strcmp(list[mid]->args[0], name) <= 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        if (lo > 0 && streq(list[lo - 1]->args[0], name))
                return list[lo - 1];
        /* not sorted (allocation failure while sorting): scan */
        KcNode *found = NULL;
        for (size_t i = 0; i < n; i++)
                if (streq(list[i]->args[0], name))
                        found = list[i];
        return found;
}

int str_appendf(Str *b, const char *fmt, ...) {
        va_list ap;
        for (;;) {
                size_t room = b->cap - b->len;
                va_start(ap, fmt);
                int r = vsnprintf(b->s ? b->s + b->len : NULL, room, fmt, ap);
                va_end(ap);
                if (r < 0)
                        return -ENOMEM;
                if ((size_t) r < room) {
                        b->len += (size_t) r;
                        return 0;
                }
                size_t cap = MAX(b->cap * 2, b->len + (size_t) r + 64);
                char *n = realloc(b->s, cap);
                if (!n)
                        return -ENOMEM;
                b->s = n;
                b->cap = cap;
        }
}

void str_done(Str *b) {
        free(b->s);
        *b = (Str) {};
}

static uint64_t fnv1a(const char *s) {
        uint64_t h = 1469598103934665603ULL;
        for (; *s; s++)
                h = (h ^ (unsigned char) *s) * 1099511628211ULL;
        return h;
}

int strset_add(StrSet *set, const char *key) {
        if ((set->n + 1) * 2 > set->cap) {
                size_t cap = set->cap ? set->cap * 2 : 64;
                char **slots = calloc(cap, sizeof *slots);
                if (!slots)
                        return -ENOMEM;
                for (size_t i = 0; i < set->cap; i++)
                        if (set->slots[i]) {
                                size_t j = fnv1a(set->slots[i]) & (cap - 1);
                                while (slots[j])
                                        j = (j + 1) & (cap - 1);
                                slots[j] = set->slots[i];
                        }
                free(set->slots);
                set->slots = slots;
                set->cap = cap;
        }
        size_t j = fnv1a(key) & (set->cap - 1);
        while (set->slots[j]) {
                if (streq(set->slots[j], key))
                        return 0;
                j = (j + 1) & (set->cap - 1);
        }
        if (!(set->slots[j] = strdup(key)))
                return -ENOMEM;
        set->n++;
        return 1;
}

void strset_done(StrSet *set) {
        for (size_t i = 0; i < set->cap; i++)
                free(set->slots[i]);
        free(set->slots);
        *set = (StrSet) {};
}

/* ---- fields ---- */

static Field *ffind(const Fields *f, const char *key) {
        for (size_t i = 0; i < f->n; i++)
                if (streq(f->items[i].key, key))
                        return &f->items[i];
        return NULL;
}

static int fset_take(Fields *f, const char *key, char *v) {
        if (!v)
                return -ENOMEM;
        Field *e = ffind(f, key);
        if (e) {
                free(e->value);
                e->value = v;
                return 0;
        }
        Field *items = realloc(f->items, (f->n + 1) * sizeof *items);
        if (!items) {
                free(v);
                return -ENOMEM;
        }
        f->items = items;
        f->items[f->n++] = (Field) { .key = key, .value = v };
        return 0;
}

int fset(Fields *f, const char *key, const char *fmt, ...) {
        char *v = NULL;
        va_list ap;
        va_start(ap, fmt);
        int r = vasprintf(&v, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        return fset_take(f, key, v);
}

int fset_str(Fields *f, const char *key, const char *s) {
        return fset_take(f, key, y_quoted(s));
}

int fset_strv(Fields *f, const char *key, char *const *v) {
        return fset_take(f, key, y_flow_strv_string(v));
}

int fset_usec(Fields *f, const char *key, usec_t u) {
        char buf[DURATION_MAX];
        return fset(f, key, "\"%s\"", format_duration(buf, sizeof buf, u));
}

const char *fget(const Fields *f, const char *key) {
        Field *e = ffind(f, key);
        return e ? e->value : NULL;
}

bool fhas(const Fields *f, const char *key) {
        return ffind(f, key) != NULL;
}

void fdel(Fields *f, const char *key) {
        Field *e = ffind(f, key);
        if (!e)
                return;
        free(e->value);
        size_t i = (size_t) (e - f->items);
        memmove(f->items + i, f->items + i + 1, (f->n - i - 1) * sizeof(Field));
        f->n--;
}

void fields_done(Fields *f) {
        for (size_t i = 0; i < f->n; i++)
                free(f->items[i].value);
        free(f->items);
        *f = (Fields) {};
}

static bool in_order(const char *const *order, const char *key) {
        for (size_t i = 0; order && order[i]; i++)
                if (streq(order[i], key))
                        return true;
        return false;
}

static void emit_one(FILE *out, const Field *e, unsigned indent, bool *first, bool dash) {
        if (*first && dash)
                fprintf(out, "%*s- ", (int) indent - 2, "");
        else
                fprintf(out, "%*s", (int) indent, "");
        *first = false;
        if (e->value[0] == '\n')
                fprintf(out, "%s:%s\n", e->key, e->value);
        else
                fprintf(out, "%s: %s\n", e->key, e->value);
}

void femit(FILE *out, const Fields *f, unsigned indent, bool dash, const char *const *order) {
        bool first = true;
        for (size_t i = 0; order && order[i]; i++) {
                const Field *e = ffind(f, order[i]);
                if (e)
                        emit_one(out, e, indent, &first, dash);
        }
        for (size_t i = 0; i < f->n; i++)
                if (!in_order(order, f->items[i].key))
                        emit_one(out, &f->items[i], indent, &first, dash);
}

char *fflow(const Fields *f, const char *const *order) {
        char *buf = NULL;
        size_t len = 0;
        FILE *out = open_memstream(&buf, &len);
        bool first = true;
        if (!out)
                return NULL;
        fputc('{', out);
        for (size_t i = 0; order && order[i]; i++) {
                const Field *e = ffind(f, order[i]);
                if (!e)
                        continue;
                fprintf(out, "%s%s: %s", first ? "" : ", ", e->key, e->value);
                first = false;
        }
        for (size_t i = 0; i < f->n; i++)
                if (!in_order(order, f->items[i].key)) {
                        fprintf(out, "%s%s: %s", first ? "" : ", ", f->items[i].key, f->items[i].value);
                        first = false;
                }
        fputc('}', out);
        if (fclose(out) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}

/* ---- global_defs ---- */

static const char *const notify_reason = "e-mail alerts are not sent by vigil: use vigil-notify with a mail command";

void map_global_defs(KcMap *m, KcNode *g) {
        for (size_t i = 0; i < g->n_children; i++) {
                KcNode *n = g->children[i];
                const char *k = n->keyword;
                int64_t v;
                usec_t u;

                if (streq(k, "router_id")) {
                        if (map_args(m, g, i, 1, 1) && fset_str(&m->global, "router_id", n->args[0]) < 0)
                                map_oom(m);
                } else if (streq(k, "vrrp_strict")) {
                        if (map_args(m, g, i, 0, 0)) {
                                m->vrrp_strict = true;
                                if (fset(&m->global, "vrrp_strict", "true") < 0)
                                        map_oom(m);
                        }
                } else if (streq(k, "vrrp_version")) {
                        if (map_args(m, g, i, 1, 1) && map_int(m, n, n->args[0], 2, 3, &v))
                                m->vrrp_version = (int) v;
                } else if (streq(k, "script_user")) {
                        map_args(m, g, i, 1, 2);
                        map_unsupported(m, n, "scripts run as vigil-checkerd's own unprivileged user (vigil-check), "
                                              "give that user what the scripts need");
                } else if (streq(k, "enable_script_security")) {
                        map_noop(m, n, "vigil-checkerd never runs scripts as root");
                } else if (streq(k, "notification_email") || streq(k, "notification_email_from") ||
                           streq(k, "smtp_server") || streq(k, "smtp_connect_timeout") || streq(k, "smtp_helo_name") ||
                           streq(k, "smtp_alert") || streq(k, "smtp_alert_vrrp") || streq(k, "smtp_alert_checker") ||
                           streq(k, "email_faults")) {
                        map_unsupported(m, n, "%s", notify_reason);
                } else if (streq(k, "vrrp_garp_master_delay") || streq(k, "vrrp_garp_master_refresh") ||
                           streq(k, "vrrp_garp_interval")) {
                        if (!map_args(m, g, i, 1, 1) || !map_timer(m, n, n->args[0], &u))
                                continue;
                        const char *key = streq(k, "vrrp_garp_master_delay") ? "master_delay" :
                                          streq(k, "vrrp_garp_master_refresh") ? "refresh" : "interval";
                        if (fset_usec(&m->garp_defaults, key, u) < 0)
                                map_oom(m);
                } else if (streq(k, "vrrp_garp_master_repeat") || streq(k, "vrrp_garp_master_refresh_repeat")) {
                        if (!map_args(m, g, i, 1, 1) ||
                            !map_int(m, n, n->args[0], streq(k, "vrrp_garp_master_repeat") ? 0 : 1, 255, &v))
                                continue;
                        if (fset(&m->garp_defaults, streq(k, "vrrp_garp_master_repeat") ? "repeat" : "refresh_repeat",
                                 "%lld", (long long) v) < 0)
                                map_oom(m);
                } else if (streq(k, "vrrp_gna_interval")) {
                        map_unsupported(m, n, "vigil paces GARPs and unsolicited NAs alike: use vrrp_garp_interval");
                } else if (streq(k, "lvs_sync_daemon")) {
                        /* lvs_sync_daemon IF [[inst] INSTANCE] [id N] [maxlen N] [port N] [ttl N] [group IP] */
                        if (!map_args(m, g, i, 1, 64))
                                continue;
                        if (fset_str(&m->ipvs_sync, "interface", n->args[0]) < 0)
                                map_oom(m);
                        m->ipvs_sync_node = n;
                        for (size_t a = 1; a < n->n_args; a++) {
                                const char *w = n->args[a], *next = a + 1 < n->n_args ? n->args[a + 1] : NULL;
                                if (streq(w, "id") && next) {
                                        if (map_int(m, n, next, 0, 255, &v) &&
                                            fset(&m->ipvs_sync, "sync_id", "%lld", (long long) v) < 0)
                                                map_oom(m);
                                        a++;
                                } else if (streq(w, "inst") && next) {
                                        if (fset_str(&m->ipvs_sync, "instance", next) < 0)
                                                map_oom(m);
                                        a++;
                                } else if ((streq(w, "maxlen") || streq(w, "port") || streq(w, "ttl") ||
                                            streq(w, "group")) && next) {
                                        map_warn(m, n, "lvs_sync_daemon option '%s %s' not supported: the kernel's "
                                                       "default is used", w, next);
                                        a++;
                                } else if (fset_str(&m->ipvs_sync, "instance", w) < 0)
                                        map_oom(m);
                        }
                } else if (streq(k, "lvs_timeouts")) {
                        for (size_t a = 0; a + 1 < n->n_args; a += 2) {
                                const char *w = n->args[a];
                                if (!streq(w, "tcp") && !streq(w, "tcpfin") && !streq(w, "udp")) {
                                        map_error(m, n, "lvs_timeouts: unknown timeout '%s' (tcp, tcpfin, udp)", w);
                                        break;
                                }
                                if (map_timer(m, n, n->args[a + 1], &u) &&
                                    fset_usec(&m->ipvs_timeouts, streq(w, "tcp") ? "tcp" : streq(w, "udp") ? "udp" : "tcpfin", u) < 0)
                                        map_oom(m);
                        }
                        if (n->n_args % 2 != 0)
                                map_error(m, n, "lvs_timeouts: expected pairs like 'tcp 900 udp 300'");
                } else if (streq(k, "lvs_flush") || streq(k, "lvs_flush_on_stop")) {
                        map_unsupported(m, n, "vigil-ipvsd never removes services it did not create "
                                              "(set ipvs.own_table: true to own the whole table)");
                } else if (streq(k, "notify_fifo") || streq(k, "notify_fifo_script") || streq(k, "vrrp_notify_fifo") ||
                           streq(k, "vrrp_notify_fifo_script") || streq(k, "lvs_notify_fifo") ||
                           streq(k, "lvs_notify_fifo_script")) {
                        map_unsupported(m, n, "state changes are D-Bus signals: use 'vigilctl monitor' or vigil-notify");
                } else
                        map_unsupported(m, n, "no vigil equivalent for this global setting, ignored");
        }
}

/* SSL { password ca certificate key }: the TLS client files of every SSL_GET. */
void map_ssl(KcMap *m, KcNode *s) {
        for (size_t i = 0; i < s->n_children; i++) {
                KcNode *n = s->children[i];
                char **dst = streq(n->keyword, "ca") ? &m->ssl_ca :
                             streq(n->keyword, "certificate") ? &m->ssl_cert :
                             streq(n->keyword, "key") ? &m->ssl_key : NULL;
                if (dst) {
                        if (!map_args(m, s, i, 1, 1))
                                continue;
                        free(*dst);
                        if (!(*dst = strdup(n->args[0])))
                                map_oom(m);
                } else if (streq(n->keyword, "password"))
                        map_unsupported(m, n, "encrypted private keys are not supported: decrypt the key file");
                else
                        map_unknown(m, n);
        }
}

/* ---- top level ---- */

static int push_node(KcNode ***list, size_t *n, KcNode *node) {
        KcNode **l = realloc(*list, (*n + 1) * sizeof *l);
        if (!l)
                return -ENOMEM;
        *list = l;
        l[(*n)++] = node;
        return 0;
}

typedef struct NamedNode {
        KcNode *node;
        size_t index; /* position in the file order */
} NamedNode;

static int named_node_cmp(const void *a, const void *b) {
        const NamedNode *x = a, *y = b;
        int r = strcmp(x->node->args[0], y->node->args[0]);
        return r != 0 ? r : x->index < y->index ? -1 : x->index > y->index;
}

/* Two vrrp_instance (or vrrp_script, vrrp_sync_group) blocks with one name
 * would be one YAML key twice: an error at the later definition. Sorting
 * keeps this n log n for configurations with 10^5 blocks. */
static void check_unique_names(KcMap *m, KcNode *root, const char *keyword) {
        _cleanup_free_ NamedNode *v = NULL;
        size_t n = 0;
        for (size_t i = 0; i < root->n_children; i++) {
                KcNode *c = root->children[i];
                if (streq(c->keyword, keyword) && c->n_args == 1 && c->block) {
                        if (!v && !(v = calloc(root->n_children, sizeof(NamedNode))))
                                return map_oom(m);
                        v[n++] = (NamedNode) { .node = c, .index = i };
                }
        }
        if (n < 2)
                return;
        qsort(v, n, sizeof *v, named_node_cmp);
        for (size_t i = 1; i < n; i++)
                if (streq(v[i].node->args[0], v[i - 1].node->args[0]))
                        map_error(m, v[i].node, "%s %s is defined twice (first at %s:%u)", keyword, v[i].node->args[0],
                                  v[i - 1].node->file ? v[i - 1].node->file : "?", v[i - 1].node->line);
}

static int open_section(FILE **f, char **buf, size_t *len) {
        *f = open_memstream(buf, len);
        return *f ? 0 : -ENOMEM;
}

static int close_section(FILE **f) {
        if (!*f)
                return 0;
        int r = fclose(*f);
        *f = NULL;
        return r == 0 ? 0 : -ENOMEM;
}

static void map_free(KcMap *m) {
        fields_done(&m->global);
        fields_done(&m->garp_defaults);
        fields_done(&m->ipvs_sync);
        fields_done(&m->ipvs_timeouts);
        close_section(&m->instances);
        close_section(&m->sync_groups);
        close_section(&m->checks);
        close_section(&m->vs);
        close_section(&m->notify);
        free(m->instances_buf);
        free(m->sync_groups_buf);
        free(m->checks_buf);
        free(m->vs_buf);
        free(m->notify_buf);
        free(m->scripts);
        free(m->track_files);
        free(m->vs_groups);
        free(m->vs_group_used);
        free(m->ssl_ca);
        free(m->ssl_cert);
        free(m->ssl_key);
        for (size_t i = 0; i < m->n_notes; i++)
                free(m->notes[i]);
        free(m->notes);
}

static const char *const static_reason =
        "vigil does not manage static or virtual addresses, routes or rules outside VRRP: "
        "configure them with the system's network configuration (systemd-networkd, ifupdown)";

int kc_map(KcTree *t, const KcMapOptions *o, KcDiags *diags, char **ret) {
        static const KcMapOptions no_opts = {};
        KcMap m = { .diags = diags, .opts = o ? o : &no_opts };
        KcNode *root = t->root;
        size_t errors = diags->n_errors;
        int r = -ENOMEM;

        if (open_section(&m.instances, &m.instances_buf, &m.instances_len) < 0 ||
            open_section(&m.sync_groups, &m.sync_groups_buf, &m.sync_groups_len) < 0 ||
            open_section(&m.checks, &m.checks_buf, &m.checks_len) < 0 ||
            open_section(&m.vs, &m.vs_buf, &m.vs_len) < 0 ||
            open_section(&m.notify, &m.notify_buf, &m.notify_len) < 0)
                goto finish;

        /* First the blocks others refer to by name, and the global defaults. */
        for (size_t i = 0; i < root->n_children; i++) {
                KcNode *n = root->children[i];
                const char *k = n->keyword;
                if (streq(k, "global_defs")) {
                        if (!n->block)
                                map_error(&m, n, "'global_defs' needs a { } block");
                        else
                                map_global_defs(&m, n);
                } else if (streq(k, "SSL") && n->block)
                        map_ssl(&m, n);
                else if (streq(k, "vrrp_script") || streq(k, "track_file") || streq(k, "vrrp_track_file") ||
                         streq(k, "virtual_server_group")) {
                        if (n->n_args != 1 || !n->block) {
                                map_error(&m, n, "'%s' needs a name and a { } block", k);
                                continue;
                        }
                        int k2 = streq(k, "vrrp_script") ? push_node(&m.scripts, &m.n_scripts, n) :
                                 streq(k, "virtual_server_group") ? push_node(&m.vs_groups, &m.n_vs_groups, n) :
                                                                    push_node(&m.track_files, &m.n_track_files, n);
                        if (k2 < 0)
                                map_oom(&m);
                }
        }
        map_sort_blocks(m.scripts, m.n_scripts);
        map_sort_blocks(m.track_files, m.n_track_files);
        map_sort_blocks(m.vs_groups, m.n_vs_groups);
        check_unique_names(&m, root, "vrrp_instance");
        check_unique_names(&m, root, "vrrp_script");
        check_unique_names(&m, root, "vrrp_sync_group");
        m.vs_group_used = calloc(m.n_vs_groups + 1, sizeof(bool));
        if (!m.vs_group_used)
                goto finish;

        for (size_t i = 0; i < root->n_children && !m.oom; i++) {
                KcNode *n = root->children[i];
                const char *k = n->keyword;
                if (streq(k, "global_defs") || streq(k, "track_file") || streq(k, "vrrp_track_file") ||
                    streq(k, "virtual_server_group") || (streq(k, "SSL") && n->block))
                        continue;
                if (streq(k, "vrrp_script")) {
                        if (n->n_args == 1 && n->block)
                                map_vrrp_script(&m, n);
                } else if (streq(k, "vrrp_instance")) {
                        if (n->n_args != 1 || !n->block)
                                map_error(&m, n, "'vrrp_instance' needs a name and a { } block");
                        else
                                map_vrrp_instance(&m, n);
                } else if (streq(k, "vrrp_sync_group")) {
                        if (n->n_args != 1 || !n->block)
                                map_error(&m, n, "'vrrp_sync_group' needs a name and a { } block");
                        else
                                map_vrrp_sync_group(&m, n);
                } else if (streq(k, "virtual_server")) {
                        if (n->n_args < 1 || !n->block)
                                map_error(&m, n, "'virtual_server' needs an address (and port), 'fwmark N' or "
                                                 "'group NAME', and a { } block");
                        else
                                map_virtual_server(&m, n);
                } else if (streq(k, "static_ipaddress") || streq(k, "static_routes") || streq(k, "static_rules"))
                        map_unsupported(&m, n, "%s", static_reason);
                else if (streq(k, "net_namespace") || streq(k, "net_namespace_ipvs") || streq(k, "instance") ||
                         streq(k, "use_pid_dir") || streq(k, "linkbeat_use_polling") || streq(k, "child_wait_time") ||
                         streq(k, "namespace_with_ipsets"))
                        map_unsupported(&m, n, "process options of keepalived: run the vigil units in the namespace "
                                               "or with the systemd settings you need");
                else if (streq(k, "vrrp_track_process") || streq(k, "track_process") || streq(k, "bfd_instance") ||
                         streq(k, "linkbeat_interfaces") || streq(k, "garp_group") || streq(k, "track_group") ||
                         streq(k, "old_unicast_checksum") || streq(k, "vrrp_track_bfd"))
                        map_unsupported(&m, n, "no vigil equivalent (use an exec check in checks: for processes)");
                else
                        map_unknown(&m, n);
        }
        if (m.ipvs_sync.n > 0 && !fhas(&m.ipvs_sync, "instance")) {
                map_warn(&m, m.ipvs_sync_node, "lvs_sync_daemon without a VRRP instance not converted: vigil runs the "
                                               "sync master where an instance is MASTER (lvs_sync_daemon IF INSTANCE)");
                fields_done(&m.ipvs_sync);
        }
        for (size_t i = 0; i < m.n_vs_groups; i++)
                if (!m.vs_group_used[i])
                        map_noop(&m, m.vs_groups[i], "this virtual_server_group is not used by any virtual_server");

        if (close_section(&m.instances) < 0 || close_section(&m.sync_groups) < 0 || close_section(&m.checks) < 0 ||
            close_section(&m.vs) < 0 || close_section(&m.notify) < 0)
                goto finish;
        if (m.oom)
                goto finish;
        if (diags->n_errors > errors) {
                r = -EINVAL;
                goto finish;
        }

        /* Assemble. */
        char *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);
        if (!f)
                goto finish;
        fprintf(f, "# vigil configuration converted from keepalived by 'vigilctl convert'.\n");
        fputs("# Source: ", f);
        y_comment(f, m.opts->source ? m.opts->source : "(stdin)");
        fputc('\n', f);
        if (t->files && t->files[0] && t->files[1]) {
                fputs("# Included files:\n", f);
                for (size_t i = 1; t->files[i]; i++) {
                        fputs("#   ", f);
                        y_comment(f, t->files[i]);
                        fputc('\n', f);
                }
        }
        if (m.opts->config_id) {
                fputs("# Conditional lines evaluated with config-id '", f);
                y_comment(f, m.opts->config_id);
                fputs("'.\n", f);
        }
        fputs("# keepalived defaults that differ from vigil's are written out explicitly.\n", f);
        if (m.n_notes > 0) {
                fputs("# Not converted, or converted with a difference (also printed on stderr):\n", f);
                for (size_t i = 0; i < m.n_notes; i++) {
                        fputs("#   ", f);
                        y_comment(f, m.notes[i]);
                        fputc('\n', f);
                }
        }
        fputc('\n', f);

        if (m.global.n > 0) {
                static const char *const order[] = { "router_id", "vrrp_strict", NULL };
                fputs("global:\n", f);
                femit(f, &m.global, 2, false, order);
                fputc('\n', f);
        }
        if (m.n_instances > 0 || m.n_sync_groups > 0) {
                fputs("vrrp:\n", f);
                if (m.n_instances > 0)
                        fprintf(f, "  instances:\n%s", m.instances_buf);
                if (m.n_sync_groups > 0)
                        fprintf(f, "  sync_groups:\n%s", m.sync_groups_buf);
                fputc('\n', f);
        }
        if (m.n_checks > 0)
                fprintf(f, "checks:\n%s\n", m.checks_buf);
        if (m.n_vs > 0)
                fprintf(f, "virtual_servers:\n%s\n", m.vs_buf);
        if (m.ipvs_sync.n > 0 || m.ipvs_timeouts.n > 0) {
                static const char *const sync_order[] = { "instance", "interface", "sync_id", NULL };
                static const char *const to_order[] = { "tcp", "tcpfin", "udp", NULL };
                fputs("ipvs:\n", f);
                if (m.ipvs_sync.n > 0) {
                        _cleanup_free_ char *s = fflow(&m.ipvs_sync, sync_order);
                        fprintf(f, "  sync_daemon: %s\n", strna(s));
                }
                if (m.ipvs_timeouts.n > 0) {
                        _cleanup_free_ char *s = fflow(&m.ipvs_timeouts, to_order);
                        fprintf(f, "  timeouts: %s\n", strna(s));
                }
                fputc('\n', f);
        }
        if (m.n_notify > 0)
                fprintf(f, "notify:\n%s", m.notify_buf);
        if (fclose(f) != 0) {
                free(out);
                goto finish;
        }
        /* no blank line at the very end */
        while (len > 1 && out[len - 1] == '\n' && out[len - 2] == '\n')
                out[--len] = '\0';
        *ret = out;
        r = 0;
finish:
        if (m.oom && r == 0)
                r = -ENOMEM;
        if (r == -ENOMEM)
                kc_diag(diags, KC_ERROR, NULL, 0, "out of memory");
        map_free(&m);
        return r;
}
