/* SPDX-License-Identifier: GPL-2.0-or-later */
/* YAML → typed model (DESIGN.md §5). libyaml's document API gives every node
 * with its position; this file walks it along the schema, converts each value
 * to its C type, and records where it came from. Type and range errors are
 * reported here (we still have the node); semantic checks that need the whole
 * model are in conf-validate.c. Everything is collected, nothing stops at the
 * first problem. No I/O apart from config_load_file() reading the file. */

#include <ctype.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <yaml.h>

#include "conf-internal.h"
#include "macro.h"

/* Deepest YAML nesting accepted. The schema needs 6; this bounds every
 * consumer of the document (and the fuzzer's favourite "[[[[[[..." input). */
#define CONF_MAX_DEPTH 32
/* Most nodes walked: aliases let a small file expand into a huge one. */
#define CONF_MAX_NODES 1000000
/* Largest file read. */
#define CONF_MAX_FILE_SIZE (16U * 1024U * 1024U)

/* ---- value tables ---- */

const char *const vrrp_initial_state_table[] = { "backup", "master", NULL };
const char *const fence_policy_table[] = { "none", "best-effort", "required", NULL };
const char *const on_missing_table[] = { "fault", "ignore", NULL };
const char *const check_initial_state_table[] = { "up", "down", "unknown", NULL };
const char *const tunnel_type_table[] = { "ipip", "gue", "gre", NULL };
const char *const vip_scope_table[] = { "global", "host", "link", "site", NULL };
const char *const ipvs_scheduler_table[] = { "rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh",
                                             "sed", "nq", "fo", "ovf", "mh", "twos", NULL };
const char *const ipvs_flag_table[] = { "sh-fallback", "sh-port", "mh-fallback", "mh-port", "one-packet", NULL };
const char *const dns_query_type_table[] = { "A", "AAAA", "NS", "MX", "TXT", "SOA", "CNAME", "PTR", "SRV", NULL };
const char *const notify_kind_table[] = { "instance", "group", "check", NULL };

static const char *const check_type_table[] = { "tcp", "http", "https", "smtp", "dns", "udp", "ping", "exec", "file", NULL };
/* index 0 is FORWARDING_INHERIT: not a value one can write */
static const char *const forwarding_table[] = { "inherit", "dr", "nat", "tun", "fullnat", NULL };
static const char *const protocol_table[] = { "tcp", "udp", "sctp", NULL };
static const char *const family_table[] = { "inet", "inet6", NULL };
static const char *const dns_rcode_table[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", NULL };

static int table_lookup(const char *const *table, const char *s) {
        if (!s)
                return -EINVAL;
        for (int i = 0; table[i]; i++)
                if (streq(table[i], s))
                        return i;
        return -EINVAL;
}

const char *check_type_to_string(CheckType t) {
        return t >= 0 && t < _CHECK_TYPE_MAX ? check_type_table[t] : NULL;
}
int check_type_from_string(const char *s) {
        return table_lookup(check_type_table, s);
}
const char *forwarding_to_string(Forwarding f) {
        return f >= 0 && f < _FORWARDING_MAX ? forwarding_table[f] : NULL;
}
int forwarding_from_string(const char *s) {
        int r = table_lookup(forwarding_table, s);
        return r == FORWARDING_INHERIT ? -EINVAL : r;
}
const char *ipvs_protocol_to_string(IpvsProtocol p) {
        return p >= 0 && p <= IPVS_PROTO_SCTP ? protocol_table[p] : NULL;
}
int ipvs_protocol_from_string(const char *s) {
        return table_lookup(protocol_table, s);
}

/* ---- defaults: every default of the model, in one place ---- */

static void vip_defaults(VipConf *v) {
        *v = (VipConf) {};
        /* scope is set to "global" by the loader when not given (needs allocation) */
}

static void instance_defaults(VrrpInstanceConf *i) {
        *i = (VrrpInstanceConf) {
                .priority = 100,
                .initial_state = VRRP_INITIAL_BACKUP,
                .version = 3,
                .advert_interval = 1 * USEC_PER_SEC,
                .preempt = true,
                .preempt_delay = 0,
                .accept = false,
                .family = AF_UNSPEC, /* derived from the VIPs by validation; AF_INET when none */
                .on_missing = ON_MISSING_FAULT,
                .fencing = {
                        .policy = FENCE_POLICY_NONE, /* best-effort when agents/commands are given without a policy */
                        .timeout = 5 * USEC_PER_SEC,
                },
                .vip_lease = VIP_LEASE_AUTO,
                .use_vmac = false,
                .garp = {
                        .repeat = 5,
                        .interval = 0,
                        .refresh = 0,
                        .refresh_repeat = 1,
                        .master_delay = 5 * USEC_PER_SEC,
                },
        };
}

static void check_defaults(CheckConf *c) {
        *c = (CheckConf) {
                .interval = 3 * USEC_PER_SEC, /* inline checks: the virtual server's delay_loop (validation) */
                .timeout = 5 * USEC_PER_SEC,
                .retry = 0,
                .delay_before_retry = 1 * USEC_PER_SEC,
                .fall = 1,
                .rise = 1,
                /* warmup: = interval, filled by validation */
                .initial_state = CHECK_INITIAL_UP,
                .weight = 0,
                .http_version = 11,
                .max_body = 1024 * 1024,
                .tls_verify = false,
                .query_type = NULL,   /* "SOA", set by the loader for dns checks */
                .expect_rcode = 0,
                .require_reply = false,
                .max_output = 4096,
                .file_default_weight = 0,
                .file_down_on_zero = true,
                /* method "GET", path "/", status 200-299, query_name ".": set per type by the loader */
                /* port: http 80, https 443, smtp 25, dns 53 when not given (validation) */
        };
}

static void virtual_server_defaults(VirtualServerConf *vs) {
        *vs = (VirtualServerConf) {
                .fwmark_family = AF_INET,
                .protocol = IPVS_PROTO_TCP,
                /* scheduler "wlc": set by the loader (needs allocation) */
                .forwarding = FORWARDING_NAT,
                .persistence_timeout = 0,
                /* persistence_prefix: 32/128 by family, filled by validation */
                .delay_loop = 6 * USEC_PER_SEC,
                .quorum = 1,
                .hysteresis = 0,
                .inhibit_on_failure = true,
        };
}

static void real_server_defaults(RealServerConf *rs) {
        *rs = (RealServerConf) {
                .port = 0,                     /* the service's port, filled by validation */
                .weight = 1,
                .forwarding = FORWARDING_INHERIT,
                .tunnel_type = TUNNEL_IPIP,
                .inhibit_on_failure = true,    /* the service's inhibit_on_failure, filled by validation */
        };
}

static void ipvs_defaults(IpvsGlobalConf *g) {
        *g = (IpvsGlobalConf) {
                .own_table = false,
                /* sync_id: the instance's virtual_router_id, sync_interface: its interface (validation) */
                .reconcile_interval = 30 * USEC_PER_SEC,
        };
}

static void zookeeper_defaults(ZooKeeperConf *z) {
        *z = (ZooKeeperConf) {
                .session_timeout = 6 * USEC_PER_SEC,
                /* root "/vigil": set by the loader (needs allocation) */
        };
}

static void notify_defaults(NotifyConf *n) {
        *n = (NotifyConf) {
                .timeout = 30 * USEC_PER_SEC,
        };
}

/* ---- walking the document ---- */

typedef struct LoadCtx {
        yaml_document_t *doc;
        const char *file;
        ConfDiags *diags;
        ConfLocs *locs;
        Config *c;
        size_t budget;
        bool budget_reported;
} LoadCtx;

static ConfLoc mark_loc(LoadCtx *x, const yaml_mark_t *m) {
        return (ConfLoc) { .file = x->file, .line = (unsigned) m->line + 1, .col = (unsigned) m->column + 1 };
}

static ConfLoc node_loc(LoadCtx *x, const yaml_node_t *n) {
        return mark_loc(x, &n->start_mark);
}

_printf_(3, 4) static void err(LoadCtx *x, const yaml_node_t *n, const char *fmt, ...) {
        char *m = NULL;
        va_list ap;
        va_start(ap, fmt);
        int r = vasprintf(&m, fmt, ap);
        va_end(ap);
        ConfLoc l = n ? node_loc(x, n) : (ConfLoc) { .file = x->file };
        conf_diag_add(x->diags, &l, false, "%s", r < 0 ? "out of memory" : m);
        free(m);
}

static void rec(LoadCtx *x, const void *field, const yaml_node_t *n) {
        ConfLoc l = node_loc(x, n);
        (void) conf_locs_add(x->locs, field, &l);
}

static bool spend(LoadCtx *x, const yaml_node_t *n) {
        if (x->budget > 0) {
                x->budget--;
                return true;
        }
        if (!x->budget_reported) {
                err(x, n, "document too large: more than %u nodes after expanding aliases", CONF_MAX_NODES);
                x->budget_reported = true;
        }
        return false;
}

static yaml_node_t *get_node(LoadCtx *x, int index) {
        return yaml_document_get_node(x->doc, index);
}

static bool node_is_null(const yaml_node_t *n) {
        if (!n || n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
                return false;
        const char *s = (const char *) n->data.scalar.value;
        return streq(s, "") || streq(s, "~") || streq(s, "null") || streq(s, "Null") || streq(s, "NULL");
}

/* where a mapping is expected, "key:" alone is an empty one (so required keys are missing) */
static bool map_or_null(const yaml_node_t *n) {
        return n && (n->type == YAML_MAPPING_NODE || node_is_null(n));
}

static const char *node_kind(const yaml_node_t *n) {
        if (!n)
                return "nothing";
        switch (n->type) {
        case YAML_MAPPING_NODE:
                return "a mapping";
        case YAML_SEQUENCE_NODE:
                return "a list";
        case YAML_SCALAR_NODE:
                return node_is_null(n) ? "nothing" : "a scalar";
        default:
                return "nothing";
        }
}

/* A scalar's text, or NULL after reporting why there is none. */
static const char *scalar(LoadCtx *x, const yaml_node_t *v, const char *key) {
        if (!v)
                return NULL;
        if (v->type != YAML_SCALAR_NODE) {
                err(x, v, "%s: expected a value, got %s", key, node_kind(v));
                return NULL;
        }
        if (node_is_null(v)) {
                err(x, v, "%s: missing value", key);
                return NULL;
        }
        if (strlen((const char *) v->data.scalar.value) != v->data.scalar.length) {
                err(x, v, "%s: value contains a NUL character", key);
                return NULL;
        }
        return (const char *) v->data.scalar.value;
}

/* Appends ", " separated items of table to a fixed buffer (for messages). */
static const char *table_join(char *buf, size_t len, const char *const *table, size_t skip) {
        size_t o = 0;
        buf[0] = 0;
        for (size_t i = skip; table[i] && o < len; i++)
                o += (size_t) snprintf(buf + o, len - o, "%s%s", i > skip ? ", " : "", table[i]);
        return buf;
}

/* ---- mappings ---- */

typedef struct MapIter {
        LoadCtx *x;
        const yaml_node_t *node;
        uint8_t *skip;
        size_t i, n;
} MapIter;

typedef struct KeyRef {
        const char *key;
        size_t idx;
} KeyRef;

static int keyref_cmp(const void *a, const void *b) {
        const KeyRef *p = a, *q = b;
        int r = strcmp(p->key, q->key);
        if (r != 0)
                return r;
        return p->idx < q->idx ? -1 : p->idx > q->idx ? 1 : 0;
}

static const char *pair_key_text(LoadCtx *x, const yaml_node_pair_t *p) {
        yaml_node_t *k = get_node(x, p->key);
        if (!k || k->type != YAML_SCALAR_NODE || strlen((const char *) k->data.scalar.value) != k->data.scalar.length)
                return NULL;
        return (const char *) k->data.scalar.value;
}

/* Checks a mapping once: non-scalar keys, unknown keys (keys == NULL: any
 * name), duplicate keys (YAML allows the parser to keep either; we refuse). */
static MapIter map_iter(LoadCtx *x, const yaml_node_t *node, const char *const *keys, const char *what) {
        MapIter it = { .x = x, .node = node };

        if (!node || node_is_null(node))
                return it; /* "key:" with nothing under it: an empty mapping */
        if (node->type != YAML_MAPPING_NODE) {
                err(x, node, "%s: expected a mapping, got %s", what, node_kind(node));
                return it;
        }
        size_t n = (size_t) (node->data.mapping.pairs.top - node->data.mapping.pairs.start);
        it.skip = calloc(MAX(n, (size_t) 1), 1);
        _cleanup_free_ KeyRef *refs = calloc(MAX(n, (size_t) 1), sizeof(KeyRef));
        if (!it.skip || !refs) {
                err(x, node, "out of memory");
                return it;
        }
        size_t nrefs = 0;
        for (size_t i = 0; i < n; i++) {
                yaml_node_pair_t *p = node->data.mapping.pairs.start + i;
                yaml_node_t *k = get_node(x, p->key);
                const char *ks = pair_key_text(x, p);
                if (!ks) {
                        err(x, k, "%s: keys must be plain names, got %s", what, node_kind(k));
                        it.skip[i] = 1;
                        continue;
                }
                if (keys && table_lookup(keys, ks) < 0) {
                        const char *s = conf_suggest(ks, keys);
                        if (s)
                                err(x, k, "unknown key '%s' in %s (did you mean '%s'?)", ks, what, s);
                        else
                                err(x, k, "unknown key '%s' in %s", ks, what);
                        it.skip[i] = 1;
                        continue;
                }
                refs[nrefs++] = (KeyRef) { .key = ks, .idx = i };
        }
        qsort(refs, nrefs, sizeof(KeyRef), keyref_cmp);
        for (size_t i = 1; i < nrefs; i++)
                if (streq(refs[i].key, refs[i - 1].key)) {
                        /* refs sorted by (key, position): report each later copy against the first */
                        size_t first = i - 1;
                        while (first > 0 && streq(refs[first - 1].key, refs[i].key))
                                first--;
                        yaml_node_t *k = get_node(x, node->data.mapping.pairs.start[refs[i].idx].key);
                        yaml_node_t *k0 = get_node(x, node->data.mapping.pairs.start[refs[first].idx].key);
                        err(x, k, "duplicate key '%s' in %s (first at line %u)", refs[i].key, what,
                            (unsigned) k0->start_mark.line + 1);
                        it.skip[refs[i].idx] = 1;
                }
        it.n = n;
        return it;
}

static bool map_next(MapIter *it, const char **key, yaml_node_t **knode, yaml_node_t **value) {
        while (it->i < it->n) {
                size_t i = it->i++;
                if (it->skip[i])
                        continue;
                yaml_node_pair_t *p = it->node->data.mapping.pairs.start + i;
                *knode = get_node(it->x, p->key);
                *value = get_node(it->x, p->value);
                if (!*knode || !*value || !spend(it->x, *value))
                        continue;
                *key = (const char *) (*knode)->data.scalar.value;
                return true;
        }
        return false;
}

static void map_iter_done(MapIter *it) {
        free(it->skip);
}

#define MAP_FOREACH_(it, x, node, keys, what, k, kn, v) \
        for (_cleanup_(map_iter_done) MapIter it = map_iter(x, node, keys, what); map_next(&it, &k, &kn, &v);)
#define MAP_FOREACH_2(n, ...) MAP_FOREACH_(_it_##n##_, __VA_ARGS__)
#define MAP_FOREACH_1(n, ...) MAP_FOREACH_2(n, __VA_ARGS__)
/* Every pair of a mapping that has a known, non-duplicate key (the others were reported). */
#define MAP_FOREACH(x, node, keys, what, k, kn, v) MAP_FOREACH_1(__COUNTER__, x, node, keys, what, k, kn, v)

/* First value for key in a mapping (no diagnostics: map_iter reports). */
static yaml_node_t *map_get(LoadCtx *x, const yaml_node_t *node, const char *key, yaml_node_t **ret_key) {
        if (!node || node->type != YAML_MAPPING_NODE)
                return NULL;
        for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; p++) {
                const char *ks = pair_key_text(x, p);
                if (ks && streq(ks, key)) {
                        if (ret_key)
                                *ret_key = get_node(x, p->key);
                        return get_node(x, p->value);
                }
        }
        return NULL;
}

static size_t map_size(const yaml_node_t *node) {
        if (!node || node->type != YAML_MAPPING_NODE)
                return 0;
        return (size_t) (node->data.mapping.pairs.top - node->data.mapping.pairs.start);
}

/* ---- sequences ---- */

/* Number of items of a list; 0 after an error (reported) or for "key:" alone. */
static size_t seq_size(LoadCtx *x, const yaml_node_t *node, const char *what) {
        if (!node || node_is_null(node))
                return 0;
        if (node->type != YAML_SEQUENCE_NODE) {
                err(x, node, "%s: expected a list, got %s", what, node_kind(node));
                return 0;
        }
        return (size_t) (node->data.sequence.items.top - node->data.sequence.items.start);
}

static yaml_node_t *seq_item(LoadCtx *x, const yaml_node_t *node, size_t i) {
        yaml_node_t *n = get_node(x, node->data.sequence.items.start[i]);
        return n && spend(x, n) ? n : NULL;
}

/* ---- typed values ---- */

static bool get_str(LoadCtx *x, yaml_node_t *v, const char *key, char **out) {
        const char *s = scalar(x, v, key);
        if (!s)
                return false;
        char *d = strdup(s);
        if (!d) {
                err(x, v, "out of memory");
                return false;
        }
        free(*out);
        *out = d;
        rec(x, out, v);
        return true;
}

static bool get_nonempty_str(LoadCtx *x, yaml_node_t *v, const char *key, char **out) {
        const char *s = scalar(x, v, key);
        if (!s)
                return false;
        if (!*s) {
                err(x, v, "%s: must not be empty", key);
                return false;
        }
        return get_str(x, v, key, out);
}

static bool get_ifname(LoadCtx *x, yaml_node_t *v, const char *key, char out[static IFNAMSIZ]) {
        const char *s = scalar(x, v, key);
        if (!s)
                return false;
        if (!ifname_valid(s)) {
                err(x, v, "%s: invalid interface name '%s' (1-15 characters, no '/', ':' or spaces)", key, s);
                return false;
        }
        strcpy(out, s);
        rec(x, out, v);
        return true;
}

static bool get_bool(LoadCtx *x, yaml_node_t *v, const char *key, bool *out) {
        static const char *const yes[] = { "true", "yes", "on", NULL };
        static const char *const no[] = { "false", "no", "off", NULL };
        const char *s = scalar(x, v, key);
        if (!s)
                return false;
        for (size_t i = 0; yes[i]; i++) {
                if (strcasecmp(s, yes[i]) == 0) {
                        *out = true;
                        rec(x, out, v);
                        return true;
                }
                if (strcasecmp(s, no[i]) == 0) {
                        *out = false;
                        rec(x, out, v);
                        return true;
                }
        }
        err(x, v, "%s: expected a boolean (true/false/yes/no/on/off), got '%s'", key, s);
        return false;
}

/* Decimal integers only: "0x10", "1e3", "1_000" are refused rather than guessed. */
static bool get_int64(LoadCtx *x, yaml_node_t *v, const char *key, int64_t min, int64_t max, int64_t *out) {
        const char *s = scalar(x, v, key);
        if (!s)
                return false;
        const char *p = s;
        bool neg = false;
        if (*p == '-' || *p == '+')
                neg = *p++ == '-';
        if (!isdigit((unsigned char) *p))
                goto invalid;
        uint64_t u = 0;
        bool overflow = false;
        for (; isdigit((unsigned char) *p); p++) {
                if (u > (UINT64_MAX - 9) / 10)
                        overflow = true;
                else
                        u = u * 10 + (uint64_t) (*p - '0');
        }
        if (*p)
                goto invalid;
        if (overflow || u > (uint64_t) INT64_MAX) {
                err(x, v, "%s: %s is out of range %" PRIi64 "..%" PRIi64, key, s, min, max);
                return false;
        }
        int64_t i = neg ? -(int64_t) u : (int64_t) u;
        if (i < min || i > max) {
                err(x, v, "%s: %s is out of range %" PRIi64 "..%" PRIi64, key, s, min, max);
                return false;
        }
        *out = i;
        return true;
invalid:
        err(x, v, "%s: expected an integer, got '%s'", key, s);
        return false;
}

#define GET_INT(x, v, key, min, max, field)                                                    \
        ({                                                                                     \
                int64_t _i_;                                                                   \
                bool _ok_ = get_int64(x, v, key, min, max, &_i_);                              \
                if (_ok_) {                                                                    \
                        (field) = (__typeof__(field)) _i_;                                     \
                        rec(x, &(field), v);                                                   \
                }                                                                              \
                _ok_;                                                                          \
        })

static bool get_duration(LoadCtx *x, yaml_node_t *v, const char *key, usec_t *out) {
        const char *s = scalar(x, v, key);
        if (!s)
                return false;
        usec_t u;
        int r = parse_duration(s, &u);
        if (r == -ERANGE || (r >= 0 && u == USEC_INFINITY)) {
                err(x, v, "%s: duration '%s' is too large", key, s);
                return false;
        }
        if (r < 0) {
                err(x, v, "%s: invalid duration '%s' (expected e.g. 500ms, 3s, 1m30s, or seconds)", key, s);
                return false;
        }
        *out = u;
        rec(x, out, v);
        return true;
}

/* Byte counts: an integer, or with K/M/G (powers of 1024, optional "iB"/"B"). */
static bool get_size(LoadCtx *x, yaml_node_t *v, const char *key, uint64_t *out) {
        const char *s = scalar(x, v, key);
        if (!s)
                return false;
        char *end;
        if (!isdigit((unsigned char) *s))
                goto invalid;
        errno = 0;
        unsigned long long n = strtoull(s, &end, 10);
        if (errno == ERANGE)
                goto range;
        uint64_t mult = 1;
        if (*end == 'K')
                mult = 1024, end++;
        else if (*end == 'M')
                mult = 1024 * 1024, end++;
        else if (*end == 'G')
                mult = 1024ULL * 1024 * 1024, end++;
        if (mult > 1 && streq(end, "iB"))
                end += 2;
        else if (*end == 'B')
                end++;
        if (*end)
                goto invalid;
        if (n > UINT64_MAX / mult)
                goto range;
        *out = n * mult;
        rec(x, out, v);
        return true;
range:
        err(x, v, "%s: size '%s' is too large", key, s);
        return false;
invalid:
        err(x, v, "%s: invalid size '%s' (expected bytes, or with K, M, G)", key, s);
        return false;
}

static bool get_enum(LoadCtx *x, yaml_node_t *v, const char *key, const char *const *table, size_t skip, int *out) {
        const char *s = scalar(x, v, key);
        if (!s)
                return false;
        int i = table_lookup(table + skip, s);
        if (i >= 0) {
                *out = i + (int) skip;
                return true;
        }
        char buf[256];
        const char *sug = conf_suggest(s, table + skip);
        if (sug)
                err(x, v, "%s: invalid value '%s' (did you mean '%s'?)", key, s, sug);
        else
                err(x, v, "%s: invalid value '%s', expected one of: %s", key, s, table_join(buf, sizeof buf, table, skip));
        return false;
}

#define GET_ENUM(x, v, key, table, skip, field)                                                \
        ({                                                                                     \
                int _e_;                                                                       \
                bool _ok_ = get_enum(x, v, key, table, skip, &_e_);                            \
                if (_ok_) {                                                                    \
                        (field) = (__typeof__(field)) _e_;                                     \
                        rec(x, &(field), v);                                                   \
                }                                                                              \
                _ok_;                                                                          \
        })

/* An address; with allow_prefix "ADDR/LEN" too. */
static bool get_addr(LoadCtx *x, yaml_node_t *v, const char *key, bool allow_prefix, InAddrPrefix *out) {
        const char *s = scalar(x, v, key);
        if (!s)
                return false;
        InAddrPrefix p;
        int r = parse_address_prefix(s, &p);
        if (r == -ERANGE) {
                err(x, v, "%s: invalid prefix length in '%s'", key, s);
                return false;
        }
        if (r < 0) {
                err(x, v, "%s: invalid address '%s'", key, s);
                return false;
        }
        if (!allow_prefix && strchr(s, '/')) {
                err(x, v, "%s: expected an address without prefix length, got '%s'", key, s);
                return false;
        }
        *out = p;
        rec(x, out, v);
        return true;
}

/* A list of strings; with allow_scalar a single string is a one-item list. */
static bool get_strv(LoadCtx *x, yaml_node_t *v, const char *key, bool allow_scalar, char ***out) {
        if (!v)
                return false;
        if (allow_scalar && v->type == YAML_SCALAR_NODE) {
                const char *s = scalar(x, v, key);
                if (!s)
                        return false;
                char **l = calloc(2, sizeof(char *));
                if (!l || !(l[0] = strdup(s))) {
                        free(l);
                        err(x, v, "out of memory");
                        return false;
                }
                strv_free(*out);
                *out = l;
                rec(x, out, v);
                rec(x, &l[0], v);
                return true;
        }
        size_t n = seq_size(x, v, key);
        if (n == 0 && !(v->type == YAML_SEQUENCE_NODE || node_is_null(v)))
                return false;
        char **l = calloc(n + 1, sizeof(char *));
        if (!l) {
                err(x, v, "out of memory");
                return false;
        }
        size_t j = 0;
        bool ok = true;
        for (size_t i = 0; i < n; i++) {
                yaml_node_t *item = seq_item(x, v, i);
                const char *s = item ? scalar(x, item, key) : NULL;
                if (!s) {
                        ok = false;
                        continue;
                }
                if (!(l[j] = strdup(s))) {
                        ok = false;
                        break;
                }
                rec(x, &l[j], item);
                j++;
        }
        strv_free(*out);
        *out = l;
        rec(x, out, v);
        return ok;
}

static void missing_key(LoadCtx *x, const yaml_node_t *node, const char *key, const char *what) {
        err(x, node, "missing required key '%s' in %s", key, what);
}

/* ---- global ---- */

static void load_global(LoadCtx *x, yaml_node_t *node) {
        static const char *const keys[] = { "router_id", "vrrp_strict", NULL };
        GlobalConf *g = &x->c->global;
        const char *k;
        yaml_node_t *kn, *v;

        MAP_FOREACH(x, node, keys, "global", k, kn, v) {
                if (streq(k, "router_id"))
                        get_nonempty_str(x, v, k, &g->router_id);
                else if (streq(k, "vrrp_strict"))
                        get_bool(x, v, k, &g->vrrp_strict);
        }
}

/* ---- vrrp ---- */

static void load_vip(LoadCtx *x, yaml_node_t *node, const char *key, VipConf *vip) {
        static const char *const keys[] = { "address", "device", "label", "scope", "broadcast", NULL };
        const char *k;
        yaml_node_t *kn, *v;

        vip_defaults(vip);
        vip->loc = node_loc(x, node);
        if (node->type == YAML_SCALAR_NODE)
                get_addr(x, node, key, true, &vip->addr);
        else if (node->type == YAML_MAPPING_NODE) {
                if (!map_get(x, node, "address", NULL))
                        missing_key(x, node, "address", key);
                MAP_FOREACH(x, node, keys, key, k, kn, v) {
                        if (streq(k, "address"))
                                get_addr(x, v, k, true, &vip->addr);
                        else if (streq(k, "device"))
                                get_ifname(x, v, k, vip->device);
                        else if (streq(k, "label")) {
                                const char *s = scalar(x, v, k);
                                if (!s)
                                        continue;
                                if (strlen(s) >= IFNAMSIZ) {
                                        err(x, v, "label: '%s' is longer than %d characters", s, IFNAMSIZ - 1);
                                        continue;
                                }
                                strcpy(vip->label, s);
                                rec(x, vip->label, v);
                        } else if (streq(k, "scope")) {
                                int i;
                                if (get_enum(x, v, k, vip_scope_table, 0, &i)) {
                                        free(vip->scope);
                                        vip->scope = strdup(vip_scope_table[i]);
                                        rec(x, &vip->scope, v);
                                }
                        } else if (streq(k, "broadcast")) {
                                InAddrPrefix b;
                                if (!get_addr(x, v, k, false, &b))
                                        continue;
                                if (b.family != AF_INET) {
                                        err(x, v, "broadcast: must be an IPv4 address");
                                        continue;
                                }
                                vip->has_broadcast = true;
                                vip->broadcast = b.addr.in;
                                rec(x, &vip->broadcast, v);
                        }
                }
        } else
                err(x, node, "%s: expected an address or a mapping {address, device, label, scope, broadcast}, got %s",
                    key, node_kind(node));
        if (!vip->scope)
                vip->scope = strdup("global");
}

static void load_vip_list(LoadCtx *x, yaml_node_t *node, const char *key, VipConf **ret, size_t *ret_n) {
        size_t n = seq_size(x, node, key);
        if (n == 0)
                return;
        VipConf *a = calloc(n, sizeof(VipConf));
        if (!a)
                return err(x, node, "out of memory");
        for (size_t i = 0; i < n; i++) {
                yaml_node_t *item = seq_item(x, node, i);
                if (item)
                        load_vip(x, item, key, &a[i]);
                else
                        a[i].scope = strdup("global");
        }
        *ret = a;
        *ret_n = n;
}

static void load_authentication(LoadCtx *x, yaml_node_t *kn, yaml_node_t *node, VrrpInstanceConf *i) {
        static const char *const keys[] = { "type", "password", NULL };
        static const char *const types[] = { "pass", NULL };
        const char *k;
        yaml_node_t *kn2, *v;
        bool have_password = false;

        MAP_FOREACH(x, node, keys, "authentication", k, kn2, v) {
                if (streq(k, "type")) {
                        int t;
                        get_enum(x, v, k, types, 0, &t);
                } else if (streq(k, "password")) {
                        have_password = true;
                        const char *s = scalar(x, v, k);
                        if (!s)
                                continue;
                        if (strlen(s) > 8 || !*s) {
                                err(x, v, "password: must be 1 to 8 bytes long (VRRPv2 simple text authentication)");
                                continue;
                        }
                        free(i->auth_pass);
                        i->auth_pass = strdup(s);
                        /* errors about authentication as a whole point at the key */
                        rec(x, &i->auth_pass, kn);
                }
        }
        if (!have_password && map_or_null(node))
                missing_key(x, kn, "password", "authentication");
}

static void load_unicast(LoadCtx *x, yaml_node_t *kn, yaml_node_t *node, VrrpInstanceConf *i) {
        static const char *const keys[] = { "source", "peers", NULL };
        const char *k;
        yaml_node_t *kn2, *v;

        i->unicast = true;
        rec(x, &i->unicast, kn);
        if (map_or_null(node) && !map_get(x, node, "peers", NULL))
                missing_key(x, kn, "peers", "unicast");
        MAP_FOREACH(x, node, keys, "unicast", k, kn2, v) {
                if (streq(k, "source"))
                        get_addr(x, v, k, false, &i->unicast_source);
                else if (streq(k, "peers")) {
                        size_t n = seq_size(x, v, k);
                        if (n == 0) {
                                if (v->type == YAML_SEQUENCE_NODE || node_is_null(v))
                                        err(x, v, "peers: at least one peer is needed");
                                continue;
                        }
                        free(i->unicast_peers);
                        i->unicast_peers = calloc(n, sizeof(InAddrPrefix));
                        if (!i->unicast_peers)
                                return err(x, v, "out of memory");
                        i->n_unicast_peers = n;
                        for (size_t j = 0; j < n; j++) {
                                yaml_node_t *item = seq_item(x, v, j);
                                if (item)
                                        get_addr(x, item, "peers", false, &i->unicast_peers[j]);
                        }
                }
        }
}

/* track: interfaces / checks items are a name or {name, weight}. */
static bool load_track_item(LoadCtx *x, yaml_node_t *item, const char *key, yaml_node_t **ret_name, yaml_node_t **ret_weight) {
        static const char *const keys[] = { "name", "weight", NULL };
        const char *k;
        yaml_node_t *kn, *v;

        *ret_name = *ret_weight = NULL;
        if (item->type == YAML_SCALAR_NODE) {
                *ret_name = item;
                return true;
        }
        if (item->type != YAML_MAPPING_NODE) {
                err(x, item, "%s: expected a name or {name, weight}, got %s", key, node_kind(item));
                return false;
        }
        MAP_FOREACH(x, item, keys, key, k, kn, v) {
                if (streq(k, "name"))
                        *ret_name = v;
                else
                        *ret_weight = v;
        }
        if (!*ret_name) {
                missing_key(x, item, "name", key);
                return false;
        }
        return true;
}

static void load_track(LoadCtx *x, yaml_node_t *node, VrrpInstanceConf *i) {
        static const char *const keys[] = { "interfaces", "checks", "on_missing", NULL };
        const char *k;
        yaml_node_t *kn, *v;

        MAP_FOREACH(x, node, keys, "track", k, kn, v) {
                if (streq(k, "on_missing"))
                        GET_ENUM(x, v, k, on_missing_table, 0, i->on_missing);
                else if (streq(k, "interfaces")) {
                        size_t n = seq_size(x, v, k);
                        if (n == 0)
                                continue;
                        free(i->track_interfaces);
                        i->track_interfaces = calloc(n, sizeof(TrackInterfaceConf));
                        if (!i->track_interfaces)
                                return err(x, v, "out of memory");
                        i->n_track_interfaces = n;
                        for (size_t j = 0; j < n; j++) {
                                TrackInterfaceConf *t = &i->track_interfaces[j];
                                yaml_node_t *item = seq_item(x, v, j), *name, *weight;
                                if (!item)
                                        continue;
                                t->loc = node_loc(x, item);
                                if (!load_track_item(x, item, "track interface", &name, &weight))
                                        continue;
                                get_ifname(x, name, "name", t->name);
                                if (weight && GET_INT(x, weight, "weight", -254, 254, t->weight))
                                        t->has_weight = true;
                        }
                } else if (streq(k, "checks")) {
                        size_t n = seq_size(x, v, k);
                        if (n == 0)
                                continue;
                        free(i->track_checks);
                        i->track_checks = calloc(n, sizeof(TrackCheckConf));
                        if (!i->track_checks)
                                return err(x, v, "out of memory");
                        i->n_track_checks = n;
                        for (size_t j = 0; j < n; j++) {
                                TrackCheckConf *t = &i->track_checks[j];
                                yaml_node_t *item = seq_item(x, v, j), *name, *weight;
                                if (!item)
                                        continue;
                                t->loc = node_loc(x, item);
                                if (!load_track_item(x, item, "track check", &name, &weight))
                                        continue;
                                get_nonempty_str(x, name, "name", &t->name);
                                if (weight && GET_INT(x, weight, "weight", -254, 254, t->weight))
                                        t->has_weight = true;
                        }
                }
        }
}

static void load_fencing(LoadCtx *x, yaml_node_t *kn, yaml_node_t *node, VrrpInstanceConf *i) {
        static const char *const keys[] = { "policy", "timeout", "agents", "commands", NULL };
        FencingConf *f = &i->fencing;
        const char *k;
        yaml_node_t *kn2, *v;

        f->loc = node_loc(x, kn);
        MAP_FOREACH(x, node, keys, "fencing", k, kn2, v) {
                if (streq(k, "policy"))
                        GET_ENUM(x, v, k, fence_policy_table, 0, f->policy);
                else if (streq(k, "timeout"))
                        get_duration(x, v, k, &f->timeout);
                else if (streq(k, "agents"))
                        get_strv(x, v, k, true, &f->agents);
                else if (streq(k, "commands"))
                        get_strv(x, v, k, true, &f->commands);
        }
        /* a fencing section that names agents or commands means to use them */
        if (!conf_locs_has(x->locs, &f->policy) && (!isempty(f->agents ? f->agents[0] : NULL) ||
                                                     !isempty(f->commands ? f->commands[0] : NULL)))
                f->policy = FENCE_POLICY_BEST_EFFORT;
}

static void load_garp(LoadCtx *x, yaml_node_t *node, GarpConf *g) {
        static const char *const keys[] = { "repeat", "interval", "refresh", "refresh_repeat", "master_delay", NULL };
        const char *k;
        yaml_node_t *kn, *v;

        MAP_FOREACH(x, node, keys, "garp", k, kn, v) {
                if (streq(k, "repeat"))
                        GET_INT(x, v, k, 0, 255, g->repeat);
                else if (streq(k, "interval"))
                        get_duration(x, v, k, &g->interval);
                else if (streq(k, "refresh"))
                        get_duration(x, v, k, &g->refresh);
                else if (streq(k, "refresh_repeat"))
                        GET_INT(x, v, k, 1, 255, g->refresh_repeat);
                else if (streq(k, "master_delay"))
                        get_duration(x, v, k, &g->master_delay);
        }
}

static void load_instance(LoadCtx *x, yaml_node_t *kn, yaml_node_t *node, VrrpInstanceConf *i) {
        static const char *const keys[] = {
                "interface", "virtual_router_id", "priority", "initial_state", "version",
                "advert_interval", "preempt", "preempt_delay", "accept", "authentication",
                "unicast", "virtual_addresses", "excluded_addresses", "track", "fencing",
                "vip_lease", "use_vmac", "vmac_interface", "garp", NULL
        };
        const char *k;
        yaml_node_t *kn2, *v;
        _cleanup_free_ char *what = NULL;

        if (asprintf(&what, "vrrp instance '%s'", i->name) < 0)
                return err(x, node, "out of memory");
        if (node->type == YAML_MAPPING_NODE || node_is_null(node)) {
                /* a block mapping starts at its first key: point at the instance's name instead */
                if (!map_get(x, node, "interface", NULL))
                        missing_key(x, kn, "interface", what);
                if (!map_get(x, node, "virtual_router_id", NULL))
                        missing_key(x, kn, "virtual_router_id", what);
        }
        MAP_FOREACH(x, node, keys, what, k, kn2, v) {
                if (streq(k, "interface"))
                        get_ifname(x, v, k, i->interface);
                else if (streq(k, "virtual_router_id"))
                        GET_INT(x, v, k, 1, 255, i->virtual_router_id);
                else if (streq(k, "priority"))
                        GET_INT(x, v, k, 1, 255, i->priority);
                else if (streq(k, "initial_state"))
                        GET_ENUM(x, v, k, vrrp_initial_state_table, 0, i->initial_state);
                else if (streq(k, "version")) {
                        int64_t ver;
                        if (!get_int64(x, v, k, 2, 3, &ver))
                                continue;
                        i->version = (int) ver;
                        rec(x, &i->version, v);
                } else if (streq(k, "advert_interval"))
                        get_duration(x, v, k, &i->advert_interval);
                else if (streq(k, "preempt"))
                        get_bool(x, v, k, &i->preempt);
                else if (streq(k, "preempt_delay"))
                        get_duration(x, v, k, &i->preempt_delay);
                else if (streq(k, "accept"))
                        get_bool(x, v, k, &i->accept);
                else if (streq(k, "authentication"))
                        load_authentication(x, kn2, v, i);
                else if (streq(k, "unicast"))
                        load_unicast(x, kn2, v, i);
                else if (streq(k, "virtual_addresses")) {
                        load_vip_list(x, v, k, &i->virtual_addresses, &i->n_virtual_addresses);
                        rec(x, &i->virtual_addresses, kn2);
                } else if (streq(k, "excluded_addresses"))
                        load_vip_list(x, v, k, &i->excluded_addresses, &i->n_excluded_addresses);
                else if (streq(k, "track"))
                        load_track(x, v, i);
                else if (streq(k, "fencing"))
                        load_fencing(x, kn2, v, i);
                else if (streq(k, "vip_lease")) {
                        const char *s = scalar(x, v, k);
                        if (!s)
                                continue;
                        if (streq(s, "auto"))
                                i->vip_lease = VIP_LEASE_AUTO;
                        else if (streq(s, "off"))
                                i->vip_lease = VIP_LEASE_OFF;
                        else {
                                usec_t u;
                                if (parse_duration(s, &u) < 0 || u == 0 || u == USEC_INFINITY) {
                                        err(x, v, "vip_lease: expected auto, off or a duration > 0, got '%s'", s);
                                        continue;
                                }
                                i->vip_lease = VIP_LEASE_FIXED;
                                i->vip_lease_duration = u;
                        }
                        rec(x, &i->vip_lease, v);
                } else if (streq(k, "use_vmac"))
                        get_bool(x, v, k, &i->use_vmac);
                else if (streq(k, "vmac_interface"))
                        get_ifname(x, v, k, i->vmac_interface);
                else if (streq(k, "garp"))
                        load_garp(x, v, &i->garp);
        }
}

static void load_vrrp(LoadCtx *x, yaml_node_t *node) {
        static const char *const keys[] = { "instances", "sync_groups", NULL };
        Config *c = x->c;
        const char *k;
        yaml_node_t *kn, *v;

        MAP_FOREACH(x, node, keys, "vrrp", k, kn, v) {
                if (streq(k, "instances")) {
                        size_t n = map_size(v);
                        if (n > 0) {
                                c->instances = calloc(n, sizeof(VrrpInstanceConf));
                                if (!c->instances)
                                        return err(x, v, "out of memory");
                        }
                        const char *name;
                        yaml_node_t *nk, *body;
                        MAP_FOREACH(x, v, NULL, "vrrp.instances", name, nk, body) {
                                VrrpInstanceConf *i = &c->instances[c->n_instances++];
                                instance_defaults(i);
                                i->loc = node_loc(x, nk);
                                i->name = strdup(name);
                                rec(x, &i->name, nk);
                                if (!i->name)
                                        return err(x, nk, "out of memory");
                                load_instance(x, nk, body, i);
                        }
                } else if (streq(k, "sync_groups")) {
                        size_t n = map_size(v);
                        if (n > 0) {
                                c->sync_groups = calloc(n, sizeof(SyncGroupConf));
                                if (!c->sync_groups)
                                        return err(x, v, "out of memory");
                        }
                        const char *name;
                        yaml_node_t *nk, *body;
                        MAP_FOREACH(x, v, NULL, "vrrp.sync_groups", name, nk, body) {
                                SyncGroupConf *g = &c->sync_groups[c->n_sync_groups++];
                                g->loc = node_loc(x, nk);
                                g->name = strdup(name);
                                rec(x, &g->name, nk);
                                size_t before = x->diags->n_errors;
                                get_strv(x, body, name, false, &g->members);
                                if (!g->members)
                                        g->members = calloc(1, sizeof(char *));
                                if (g->members && !g->members[0] && x->diags->n_errors == before)
                                        err(x, nk, "sync group '%s': needs at least one instance", name);
                        }
                }
        }
}

/* ---- zookeeper ---- */

static void load_zookeeper(LoadCtx *x, yaml_node_t *kn, yaml_node_t *node) {
        static const char *const keys[] = { "hosts", "root", "session_timeout", NULL };
        ZooKeeperConf *z = &x->c->zookeeper;
        const char *k;
        yaml_node_t *kn2, *v;

        z->present = true;
        z->loc = node_loc(x, kn);
        if (map_or_null(node) && !map_get(x, node, "hosts", NULL))
                missing_key(x, kn, "hosts", "zookeeper");
        MAP_FOREACH(x, node, keys, "zookeeper", k, kn2, v) {
                if (streq(k, "hosts")) {
                        /* "h1:2181,h2:2181" as the C client wants it, or a list of "host:port" */
                        _cleanup_strv_free_ char **l = NULL;
                        if (!get_strv(x, v, k, true, &l))
                                continue;
                        size_t len = 1;
                        STRV_FOREACH(s, l)
                                len += strlen(*s) + 1;
                        char *j = calloc(len, 1);
                        if (!j)
                                return err(x, v, "out of memory");
                        STRV_FOREACH(s, l) {
                                if (s != l)
                                        strcat(j, ",");
                                strcat(j, *s);
                        }
                        if (!*j) {
                                free(j);
                                err(x, v, "hosts: must not be empty");
                                continue;
                        }
                        free(z->hosts);
                        z->hosts = j;
                        rec(x, &z->hosts, v);
                } else if (streq(k, "root")) {
                        const char *s = scalar(x, v, k);
                        if (!s)
                                continue;
                        if (s[0] != '/' || (strlen(s) > 1 && s[strlen(s) - 1] == '/')) {
                                err(x, v, "root: must be an absolute znode path without a trailing '/', got '%s'", s);
                                continue;
                        }
                        get_str(x, v, k, &z->root);
                } else if (streq(k, "session_timeout"))
                        get_duration(x, v, k, &z->session_timeout);
        }
        if (!z->root)
                z->root = strdup("/vigil");
}

/* ---- checks ---- */

#define T(t) (1U << CHECK_##t)
#define T_ALL ((1U << _CHECK_TYPE_MAX) - 1)
#define T_NET (T(TCP) | T(HTTP) | T(HTTPS) | T(SMTP) | T(DNS) | T(UDP) | T(PING))
#define T_WEB (T(HTTP) | T(HTTPS))

/* key, the check types it is valid for */
#define CHECK_KEYS(X) \
        X("type", T_ALL) \
        X("address", T_NET) \
        X("port", T_NET & ~T(PING)) \
        X("bind_address", T_NET) \
        X("bind_interface", T_NET) \
        X("fwmark", T_NET) \
        X("interval", T_ALL) \
        X("timeout", T_ALL) \
        X("connect_timeout", T_ALL) /* keepalived's name for timeout */ \
        X("retry", T_ALL) \
        X("delay_before_retry", T_ALL) \
        X("fall", T_ALL) \
        X("rise", T_ALL) \
        X("warmup", T_ALL) \
        X("initial_state", T_ALL) \
        X("on_demand", T_ALL) \
        X("weight", T_ALL) \
        X("method", T_WEB) \
        X("path", T_WEB | T(FILE)) /* file: the file to read */ \
        X("virtualhost", T_WEB) \
        X("http_version", T_WEB) \
        X("status", T_WEB) \
        X("digest", T_WEB) \
        X("regex", T_WEB) \
        X("max_body", T_WEB) \
        X("headers", T_WEB) \
        X("tls_verify", T(HTTPS)) \
        X("sni", T(HTTPS)) \
        X("ca_file", T(HTTPS)) \
        X("cert_file", T(HTTPS)) \
        X("key_file", T(HTTPS)) \
        X("helo_name", T(SMTP)) \
        X("query_name", T(DNS)) \
        X("query_type", T(DNS)) \
        X("use_tcp", T(DNS)) \
        X("expect_rcode", T(DNS)) \
        X("expect_answer", T(DNS)) \
        X("payload", T(UDP)) \
        X("expect", T(UDP)) \
        X("require_reply", T(UDP)) \
        X("command", T(EXEC)) \
        X("shell", T(EXEC)) \
        X("dynamic", T(EXEC)) \
        X("max_output", T(EXEC)) \
        X("default_weight", T(FILE)) \
        X("down_on_zero", T(FILE))

#define CHECK_KEY_NAME(k, t) k,
#define CHECK_KEY_TYPES(k, t) t,
static const char *const check_key_table[] = { CHECK_KEYS(CHECK_KEY_NAME) NULL };
static const unsigned check_key_types_table[] = { CHECK_KEYS(CHECK_KEY_TYPES) };

static unsigned check_key_types(const char *key) {
        int i = table_lookup(check_key_table, key);
        return i >= 0 ? check_key_types_table[i] : 0;
}

static bool parse_status_item(const char *s, StatusRange *r) {
        unsigned lo, hi;
        int n = 0;
        if (sscanf(s, "%3u-%3u%n", &lo, &hi, &n) == 2 && (size_t) n == strlen(s))
                ;
        else if (sscanf(s, "%3u%n", &lo, &n) == 1 && (size_t) n == strlen(s))
                hi = lo;
        else
                return false;
        if (!isdigit((unsigned char) s[0]) || lo < 100 || hi > 599 || lo > hi)
                return false;
        *r = (StatusRange) { .lo = (uint16_t) lo, .hi = (uint16_t) hi };
        return true;
}

static void load_status(LoadCtx *x, yaml_node_t *v, CheckConf *c) {
        size_t n = v->type == YAML_SCALAR_NODE ? 1 : seq_size(x, v, "status");
        if (n == 0) {
                if (v->type == YAML_SEQUENCE_NODE || node_is_null(v))
                        err(x, v, "status: at least one status code or range is needed");
                return;
        }
        StatusRange *a = calloc(n, sizeof(StatusRange));
        if (!a)
                return err(x, v, "out of memory");
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
                yaml_node_t *item = v->type == YAML_SCALAR_NODE ? v : seq_item(x, v, i);
                const char *s = item ? scalar(x, item, "status") : NULL;
                if (!s)
                        continue;
                if (!parse_status_item(s, &a[m])) {
                        err(x, item, "status: invalid status '%s' (expected a code 100..599 or a range like 200-299)", s);
                        continue;
                }
                m++;
        }
        free(c->status);
        c->status = a;
        c->n_status = m;
        rec(x, &c->status, v);
}

static bool header_valid(const char *h) {
        const char *colon = strchr(h, ':');
        if (!colon || colon == h)
                return false;
        for (const char *p = h; p < colon; p++)
                if (!isgraph((unsigned char) *p))
                        return false;
        for (const char *p = h; *p; p++)
                if (*p == '\r' || *p == '\n')
                        return false;
        return true;
}

static void load_headers(LoadCtx *x, yaml_node_t *v, CheckConf *c) {
        _cleanup_strv_free_ char **l = NULL;

        if (v->type == YAML_MAPPING_NODE) {
                /* {Name: value} is the same as ["Name: value"] */
                l = calloc(map_size(v) + 1, sizeof(char *));
                if (!l)
                        return err(x, v, "out of memory");
                size_t j = 0;
                const char *k;
                yaml_node_t *kn, *hv;
                MAP_FOREACH(x, v, NULL, "headers", k, kn, hv) {
                        const char *s = scalar(x, hv, k);
                        if (!s)
                                continue;
                        if (asprintf(&l[j], "%s: %s", k, s) < 0) {
                                l[j] = NULL;
                                return err(x, v, "out of memory");
                        }
                        rec(x, &l[j], kn);
                        j++;
                }
        } else if (!get_strv(x, v, "headers", false, &l))
                return;
        bool ok = true;
        for (size_t j = 0; l[j]; j++)
                if (!header_valid(l[j])) {
                        ConfLoc fallback = node_loc(x, v);
                        _cleanup_free_ char *shown = strdup(l[j]);
                        /* the message is one line too */
                        for (char *p = shown; p && *p; p++)
                                if (*p == '\r' || *p == '\n')
                                        *p = ' ';
                        conf_diag_add(x->diags, conf_locs_get(x->locs, &l[j], &fallback), false,
                                      "headers: invalid header '%s' (expected \"Name: value\" on one line)", strna(shown));
                        ok = false;
                }
        if (!ok)
                return;
        strv_free(c->headers);
        c->headers = TAKE_PTR(l);
        rec(x, &c->headers, v);
}

static void load_check(LoadCtx *x, yaml_node_t *where, yaml_node_t *node, const char *what, CheckConf *c) {
        const char *k;
        yaml_node_t *kn, *v;
        int type = -1;

        c->loc = node_loc(x, where);
        if (node->type != YAML_MAPPING_NODE) {
                err(x, node, "%s: expected a mapping with a type, got %s", what, node_kind(node));
                return;
        }
        yaml_node_t *tv = map_get(x, node, "type", NULL);
        if (!tv)
                missing_key(x, where, "type", what);
        else if (get_enum(x, tv, "type", check_type_table, 0, &type)) {
                c->type = (CheckType) type;
                rec(x, &c->type, tv);
        }

        MAP_FOREACH(x, node, check_key_table, what, k, kn, v) {
                if (streq(k, "type"))
                        continue;
                if (type >= 0 && !(check_key_types(k) & (1U << type))) {
                        err(x, kn, "key '%s' is not valid for a check of type %s", k, check_type_table[type]);
                        continue;
                }
                if (streq(k, "address"))
                        get_addr(x, v, k, false, &c->address);
                else if (streq(k, "port"))
                        GET_INT(x, v, k, 1, 65535, c->port);
                else if (streq(k, "bind_address"))
                        get_addr(x, v, k, false, &c->bind_address);
                else if (streq(k, "bind_interface"))
                        get_ifname(x, v, k, c->bind_interface);
                else if (streq(k, "fwmark"))
                        GET_INT(x, v, k, 0, UINT32_MAX, c->fwmark);
                else if (streq(k, "interval"))
                        get_duration(x, v, k, &c->interval);
                else if (streq(k, "timeout") || streq(k, "connect_timeout")) {
                        if (conf_locs_has(x->locs, &c->timeout)) {
                                err(x, kn, "%s: timeout and connect_timeout are the same setting, give only one", k);
                                continue;
                        }
                        get_duration(x, v, k, &c->timeout);
                } else if (streq(k, "retry"))
                        GET_INT(x, v, k, 0, 255, c->retry);
                else if (streq(k, "delay_before_retry"))
                        get_duration(x, v, k, &c->delay_before_retry);
                else if (streq(k, "fall"))
                        GET_INT(x, v, k, 1, 255, c->fall);
                else if (streq(k, "rise"))
                        GET_INT(x, v, k, 1, 255, c->rise);
                else if (streq(k, "warmup"))
                        get_duration(x, v, k, &c->warmup);
                else if (streq(k, "initial_state"))
                        GET_ENUM(x, v, k, check_initial_state_table, 0, c->initial_state);
                else if (streq(k, "on_demand"))
                        get_bool(x, v, k, &c->on_demand);
                else if (streq(k, "weight"))
                        GET_INT(x, v, k, -254, 254, c->weight);
                else if (streq(k, "method")) {
                        const char *s = scalar(x, v, k);
                        bool ok = s && *s;
                        for (const char *p = s; ok && *p; p++)
                                ok = isupper((unsigned char) *p);
                        if (s && !ok) {
                                err(x, v, "method: expected an upper-case HTTP method like GET or HEAD, got '%s'", s);
                                continue;
                        }
                        get_str(x, v, k, &c->method);
                } else if (streq(k, "path")) {
                        const char *s = scalar(x, v, k);
                        if (!s)
                                continue;
                        if (s[0] != '/') {
                                err(x, v, "path: must start with '/', got '%s'", s);
                                continue;
                        }
                        if (strpbrk(s, " \r\n")) {
                                err(x, v, "path: must not contain spaces or line breaks");
                                continue;
                        }
                        get_str(x, v, k, type == CHECK_FILE ? &c->file_path : &c->path);
                } else if (streq(k, "virtualhost"))
                        get_nonempty_str(x, v, k, &c->virtualhost);
                else if (streq(k, "http_version")) {
                        const char *s = scalar(x, v, k);
                        if (!s)
                                continue;
                        if (streq(s, "1.0") || streq(s, "10"))
                                c->http_version = 10;
                        else if (streq(s, "1.1") || streq(s, "11"))
                                c->http_version = 11;
                        else {
                                err(x, v, "http_version: expected 1.0 or 1.1, got '%s'", s);
                                continue;
                        }
                        rec(x, &c->http_version, v);
                } else if (streq(k, "status"))
                        load_status(x, v, c);
                else if (streq(k, "digest")) {
                        const char *s = scalar(x, v, k);
                        if (!s)
                                continue;
                        bool ok = strlen(s) == 32;
                        for (const char *p = s; ok && *p; p++)
                                ok = isxdigit((unsigned char) *p);
                        if (!ok) {
                                err(x, v, "digest: expected an MD5 digest (32 hex digits), got '%s'", s);
                                continue;
                        }
                        if (get_str(x, v, k, &c->digest))
                                for (char *p = c->digest; *p; p++)
                                        *p = (char) tolower((unsigned char) *p);
                } else if (streq(k, "regex"))
                        get_nonempty_str(x, v, k, &c->regex);
                else if (streq(k, "max_body"))
                        get_size(x, v, k, &c->max_body);
                else if (streq(k, "headers"))
                        load_headers(x, v, c);
                else if (streq(k, "tls_verify"))
                        get_bool(x, v, k, &c->tls_verify);
                else if (streq(k, "sni"))
                        get_nonempty_str(x, v, k, &c->sni);
                else if (streq(k, "ca_file"))
                        get_nonempty_str(x, v, k, &c->ca_file);
                else if (streq(k, "cert_file"))
                        get_nonempty_str(x, v, k, &c->cert_file);
                else if (streq(k, "key_file"))
                        get_nonempty_str(x, v, k, &c->key_file);
                else if (streq(k, "helo_name"))
                        get_nonempty_str(x, v, k, &c->helo_name);
                else if (streq(k, "query_name"))
                        get_nonempty_str(x, v, k, &c->query_name);
                else if (streq(k, "query_type")) {
                        int qt;
                        if (get_enum(x, v, k, dns_query_type_table, 0, &qt)) {
                                free(c->query_type);
                                c->query_type = strdup(dns_query_type_table[qt]);
                                rec(x, &c->query_type, v);
                        }
                } else if (streq(k, "use_tcp"))
                        get_bool(x, v, k, &c->dns_tcp);
                else if (streq(k, "expect_rcode")) {
                        const char *s = v->type == YAML_SCALAR_NODE ? (const char *) v->data.scalar.value : NULL;
                        int rc;
                        if (s && (rc = table_lookup(dns_rcode_table, s)) >= 0) {
                                c->expect_rcode = rc;
                                rec(x, &c->expect_rcode, v);
                        } else
                                GET_INT(x, v, k, 0, 15, c->expect_rcode);
                } else if (streq(k, "expect_answer"))
                        get_nonempty_str(x, v, k, &c->expect_answer);
                else if (streq(k, "payload"))
                        get_str(x, v, k, &c->payload);
                else if (streq(k, "expect"))
                        get_nonempty_str(x, v, k, &c->expect);
                else if (streq(k, "require_reply"))
                        get_bool(x, v, k, &c->require_reply);
                else if (streq(k, "command")) {
                        /* a list is argv; a string is one argv[0] (never split on spaces:
                         * use a list for arguments, or shell: true for a shell line) */
                        if (get_strv(x, v, k, true, &c->command) && !c->command[0])
                                err(x, v, "command: must not be empty");
                } else if (streq(k, "shell"))
                        get_bool(x, v, k, &c->shell);
                else if (streq(k, "dynamic"))
                        get_bool(x, v, k, &c->dynamic);
                else if (streq(k, "max_output"))
                        get_size(x, v, k, &c->max_output);
                else if (streq(k, "default_weight"))
                        GET_INT(x, v, k, -254, 254, c->file_default_weight);
                else if (streq(k, "down_on_zero"))
                        get_bool(x, v, k, &c->file_down_on_zero);
        }

        /* per-type defaults that need allocation */
        if (type == CHECK_HTTP || type == CHECK_HTTPS) {
                if (!c->method)
                        c->method = strdup("GET");
                if (!c->path)
                        c->path = strdup("/");
                if (!c->status && (c->status = calloc(1, sizeof(StatusRange)))) {
                        c->status[0] = (StatusRange) { 200, 299 };
                        c->n_status = 1;
                }
        } else if (type == CHECK_DNS) {
                if (!c->query_name)
                        c->query_name = strdup(".");
                if (!c->query_type)
                        c->query_type = strdup("SOA");
        } else if (type == CHECK_EXEC) {
                if (!c->command && !map_get(x, node, "command", NULL))
                        missing_key(x, where, "command", what);
        } else if (type == CHECK_FILE) {
                if (!c->file_path && !map_get(x, node, "path", NULL))
                        missing_key(x, where, "path", what);
        }
}

static void load_checks(LoadCtx *x, yaml_node_t *node) {
        Config *c = x->c;
        size_t n = map_size(node);
        const char *name;
        yaml_node_t *kn, *body;

        if (n > 0 && !(c->checks = calloc(n, sizeof(CheckConf))))
                return err(x, node, "out of memory");
        MAP_FOREACH(x, node, NULL, "checks", name, kn, body) {
                CheckConf *ch = &c->checks[c->n_checks++];
                _cleanup_free_ char *what = NULL;
                check_defaults(ch);
                ch->name = strdup(name);
                rec(x, &ch->name, kn);
                if (!ch->name || asprintf(&what, "check '%s'", name) < 0)
                        return err(x, kn, "out of memory");
                load_check(x, kn, body, what, ch);
        }
}

/* ---- virtual servers ---- */

static void load_real_server(LoadCtx *x, yaml_node_t *node, RealServerConf *rs) {
        static const char *const keys[] = {
                "address", "port", "weight", "forwarding", "tunnel", "snat_address",
                "upper_threshold", "lower_threshold", "inhibit_on_failure", "check", NULL
        };
        const char *k;
        yaml_node_t *kn, *v;

        real_server_defaults(rs);
        rs->loc = node_loc(x, node);
        if (map_or_null(node) && !map_get(x, node, "address", NULL))
                missing_key(x, node, "address", "real server");
        MAP_FOREACH(x, node, keys, "real server", k, kn, v) {
                if (streq(k, "address"))
                        get_addr(x, v, k, false, &rs->address);
                else if (streq(k, "port"))
                        GET_INT(x, v, k, 0, 65535, rs->port);
                else if (streq(k, "weight"))
                        GET_INT(x, v, k, 0, 65535, rs->weight);
                else if (streq(k, "forwarding"))
                        GET_ENUM(x, v, k, forwarding_table, 1, rs->forwarding);
                else if (streq(k, "tunnel")) {
                        static const char *const tkeys[] = { "type", "port", NULL };
                        const char *tk;
                        yaml_node_t *tkn, *tv;
                        rec(x, &rs->tunnel_type, kn);
                        MAP_FOREACH(x, v, tkeys, "tunnel", tk, tkn, tv) {
                                if (streq(tk, "type"))
                                        GET_ENUM(x, tv, tk, tunnel_type_table, 0, rs->tunnel_type);
                                else
                                        GET_INT(x, tv, tk, 1, 65535, rs->tunnel_port);
                        }
                } else if (streq(k, "snat_address"))
                        get_addr(x, v, k, false, &rs->snat_address);
                else if (streq(k, "upper_threshold"))
                        GET_INT(x, v, k, 0, UINT32_MAX, rs->upper_threshold);
                else if (streq(k, "lower_threshold"))
                        GET_INT(x, v, k, 0, UINT32_MAX, rs->lower_threshold);
                else if (streq(k, "inhibit_on_failure"))
                        get_bool(x, v, k, &rs->inhibit_on_failure);
                else if (streq(k, "check")) {
                        if (v->type == YAML_SCALAR_NODE)
                                get_nonempty_str(x, v, k, &rs->check_ref);
                        else if (v->type == YAML_MAPPING_NODE) {
                                if (rs->check)
                                        continue;
                                rs->check = malloc(sizeof(CheckConf));
                                if (!rs->check)
                                        return err(x, v, "out of memory");
                                check_defaults(rs->check);
                                rs->check->inline_check = true;
                                load_check(x, kn, v, "check", rs->check);
                        } else
                                err(x, v, "check: expected a check mapping or the name of a check, got %s", node_kind(v));
                }
        }
}

static void load_sorry_server(LoadCtx *x, yaml_node_t *kn, yaml_node_t *node, VirtualServerConf *vs) {
        static const char *const keys[] = { "address", "port", "forwarding", NULL };
        const char *k;
        yaml_node_t *kn2, *v;

        rec(x, &vs->has_sorry_server, kn);
        if (node->type == YAML_SCALAR_NODE) {
                const char *s = scalar(x, node, "sorry_server");
                if (!s)
                        return;
                InAddrPrefix a = {};
                if (parse_address_port(s, &a.family, &a.addr, &vs->sorry_port) < 0) {
                        err(x, node, "sorry_server: expected \"ADDRESS:PORT\" ([ADDRESS]:PORT for IPv6), got '%s'", s);
                        return;
                }
                a.prefixlen = a.family == AF_INET ? 32 : 128;
                vs->sorry_server = a;
                vs->has_sorry_server = true;
                rec(x, &vs->sorry_server, node);
                return;
        }
        if (node->type == YAML_MAPPING_NODE && !map_get(x, node, "address", NULL))
                missing_key(x, node, "address", "sorry_server");
        MAP_FOREACH(x, node, keys, "sorry_server", k, kn2, v) {
                if (streq(k, "address")) {
                        if (get_addr(x, v, k, false, &vs->sorry_server))
                                vs->has_sorry_server = true;
                } else if (streq(k, "port"))
                        GET_INT(x, v, k, 0, 65535, vs->sorry_port);
                else
                        GET_ENUM(x, v, k, forwarding_table, 1, vs->sorry_forwarding);
        }
}

static void load_persistence(LoadCtx *x, yaml_node_t *node, VirtualServerConf *vs) {
        static const char *const keys[] = { "timeout", "netmask", "prefix", NULL };
        const char *k;
        yaml_node_t *kn, *v;

        MAP_FOREACH(x, node, keys, "persistence", k, kn, v) {
                if (streq(k, "timeout"))
                        get_duration(x, v, k, &vs->persistence_timeout);
                else if (conf_locs_has(x->locs, &vs->persistence_prefix))
                        err(x, kn, "persistence: give either netmask or prefix, not both");
                else if (streq(k, "prefix"))
                        GET_INT(x, v, k, 0, 128, vs->persistence_prefix);
                else {
                        /* keepalived's persistence_granularity: a dotted IPv4 netmask */
                        InAddrPrefix m;
                        if (!get_addr(x, v, k, false, &m))
                                continue;
                        if (m.family != AF_INET) {
                                err(x, v, "netmask: must be an IPv4 netmask; use prefix for IPv6");
                                continue;
                        }
                        uint32_t h = ntohl(m.addr.in.s_addr);
                        if (h != 0 && (~h & (~h + 1)) != 0) {
                                err(x, v, "netmask: '%s' is not a contiguous netmask", (const char *) v->data.scalar.value);
                                continue;
                        }
                        vs->persistence_prefix = (uint8_t) (h == 0 ? 0 : 32 - __builtin_ctz(h));
                        rec(x, &vs->persistence_prefix, v);
                }
        }
}

static void load_virtual_server(LoadCtx *x, yaml_node_t *node, VirtualServerConf *vs) {
        static const char *const keys[] = {
                "address", "port", "protocol", "fwmark", "family", "scheduler", "flags", "forwarding",
                "snat_address", "persistence", "delay_loop", "quorum", "hysteresis", "sorry_server",
                "inhibit_on_failure", "real_servers", NULL
        };
        const char *k;
        yaml_node_t *kn, *v;

        virtual_server_defaults(vs);
        vs->loc = node_loc(x, node);
        if (node->type == YAML_MAPPING_NODE && !map_get(x, node, "address", NULL) && !map_get(x, node, "fwmark", NULL))
                err(x, node, "virtual server: needs address and port, or fwmark");
        else if (node->type == YAML_MAPPING_NODE && map_get(x, node, "address", NULL) && !map_get(x, node, "port", NULL) &&
                 !map_get(x, node, "fwmark", NULL))
                missing_key(x, node, "port", "virtual server");
        MAP_FOREACH(x, node, keys, "virtual server", k, kn, v) {
                if (streq(k, "address"))
                        get_addr(x, v, k, false, &vs->address);
                else if (streq(k, "port"))
                        GET_INT(x, v, k, 0, 65535, vs->port);
                else if (streq(k, "protocol"))
                        GET_ENUM(x, v, k, protocol_table, 0, vs->protocol);
                else if (streq(k, "fwmark"))
                        GET_INT(x, v, k, 1, UINT32_MAX, vs->fwmark);
                else if (streq(k, "family")) {
                        int f;
                        if (get_enum(x, v, k, family_table, 0, &f)) {
                                vs->fwmark_family = f == 0 ? AF_INET : AF_INET6;
                                rec(x, &vs->fwmark_family, v);
                        }
                } else if (streq(k, "scheduler")) {
                        if (get_enum(x, v, k, ipvs_scheduler_table, 0, &(int) { 0 }))
                                get_str(x, v, k, &vs->scheduler);
                } else if (streq(k, "flags")) {
                        if (!get_strv(x, v, k, true, &vs->flags))
                                continue;
                        for (size_t j = 0; vs->flags[j]; j++)
                                if (table_lookup(ipvs_flag_table, vs->flags[j]) < 0) {
                                        char buf[256];
                                        ConfLoc fb = node_loc(x, v);
                                        conf_diag_add(x->diags, conf_locs_get(x->locs, &vs->flags[j], &fb), false,
                                                      "flags: unknown flag '%s', expected one of: %s", vs->flags[j],
                                                      table_join(buf, sizeof buf, ipvs_flag_table, 0));
                                }
                } else if (streq(k, "forwarding"))
                        GET_ENUM(x, v, k, forwarding_table, 1, vs->forwarding);
                else if (streq(k, "snat_address"))
                        get_addr(x, v, k, false, &vs->snat_address);
                else if (streq(k, "persistence"))
                        load_persistence(x, v, vs);
                else if (streq(k, "delay_loop"))
                        get_duration(x, v, k, &vs->delay_loop);
                else if (streq(k, "quorum"))
                        GET_INT(x, v, k, 0, UINT32_MAX, vs->quorum);
                else if (streq(k, "hysteresis"))
                        GET_INT(x, v, k, 0, UINT32_MAX, vs->hysteresis);
                else if (streq(k, "sorry_server"))
                        load_sorry_server(x, kn, v, vs);
                else if (streq(k, "inhibit_on_failure"))
                        get_bool(x, v, k, &vs->inhibit_on_failure);
                else if (streq(k, "real_servers")) {
                        size_t n = seq_size(x, v, k);
                        if (n == 0)
                                continue;
                        if (vs->real_servers)
                                continue;
                        vs->real_servers = calloc(n, sizeof(RealServerConf));
                        if (!vs->real_servers)
                                return err(x, v, "out of memory");
                        for (size_t j = 0; j < n; j++) {
                                yaml_node_t *item = seq_item(x, v, j);
                                RealServerConf *rs = &vs->real_servers[vs->n_real_servers++];
                                if (item)
                                        load_real_server(x, item, rs);
                                else
                                        real_server_defaults(rs);
                        }
                }
        }
        if (!vs->scheduler)
                vs->scheduler = strdup("wlc");
}

static void load_virtual_servers(LoadCtx *x, yaml_node_t *node) {
        Config *c = x->c;
        size_t n = seq_size(x, node, "virtual_servers");
        if (n == 0)
                return;
        if (!(c->virtual_servers = calloc(n, sizeof(VirtualServerConf))))
                return err(x, node, "out of memory");
        for (size_t i = 0; i < n; i++) {
                yaml_node_t *item = seq_item(x, node, i);
                VirtualServerConf *vs = &c->virtual_servers[c->n_virtual_servers++];
                if (!item) {
                        virtual_server_defaults(vs);
                        continue;
                }
                if (item->type != YAML_MAPPING_NODE) {
                        virtual_server_defaults(vs);
                        vs->loc = node_loc(x, item);
                        err(x, item, "virtual_servers: expected a mapping, got %s", node_kind(item));
                        continue;
                }
                load_virtual_server(x, item, vs);
        }
}

/* ---- ipvs ---- */

static void load_ipvs(LoadCtx *x, yaml_node_t *node) {
        static const char *const keys[] = { "own_table", "sync_daemon", "timeouts", "reconcile_interval", NULL };
        static const char *const sync_keys[] = { "instance", "interface", "sync_id", NULL };
        static const char *const timeout_keys[] = { "tcp", "tcpfin", "udp", NULL };
        IpvsGlobalConf *g = &x->c->ipvs;
        const char *k, *k2;
        yaml_node_t *kn, *v, *kn2, *v2;

        MAP_FOREACH(x, node, keys, "ipvs", k, kn, v) {
                if (streq(k, "own_table"))
                        get_bool(x, v, k, &g->own_table);
                else if (streq(k, "reconcile_interval"))
                        get_duration(x, v, k, &g->reconcile_interval);
                else if (streq(k, "sync_daemon")) {
                        if (map_or_null(v) && !map_get(x, v, "instance", NULL))
                                missing_key(x, kn, "instance", "sync_daemon");
                        MAP_FOREACH(x, v, sync_keys, "sync_daemon", k2, kn2, v2) {
                                if (streq(k2, "instance"))
                                        get_nonempty_str(x, v2, k2, &g->sync_instance);
                                else if (streq(k2, "interface"))
                                        get_ifname(x, v2, k2, g->sync_interface);
                                else
                                        GET_INT(x, v2, k2, 0, 255, g->sync_id);
                        }
                } else if (streq(k, "timeouts")) {
                        MAP_FOREACH(x, v, timeout_keys, "timeouts", k2, kn2, v2) {
                                usec_t *t = streq(k2, "tcp") ? &g->timeout_tcp :
                                            streq(k2, "tcpfin") ? &g->timeout_tcpfin : &g->timeout_udp;
                                get_duration(x, v2, k2, t);
                        }
                }
        }
}

/* ---- notify ---- */

static const char *const notify_script_keys[] = {
        "notify", "notify_master", "notify_backup", "notify_fault", "notify_stop", "notify_up", "notify_down", NULL
};

static char ***notify_script_field(NotifyConf *n, const char *key) {
        char ***f[] = { &n->notify, &n->notify_master, &n->notify_backup, &n->notify_fault,
                        &n->notify_stop, &n->notify_up, &n->notify_down };
        int i = table_lookup(notify_script_keys, key);
        return i >= 0 ? f[i] : NULL;
}

static void load_notify_body(LoadCtx *x, yaml_node_t *node, bool list_form, NotifyConf *n) {
        static const char *const list_keys[] = {
                "instance", "group", "check", "notify", "notify_master", "notify_backup", "notify_fault",
                "notify_stop", "notify_up", "notify_down", "timeout", NULL
        };
        const char *k;
        yaml_node_t *kn, *v;
        const char *const *keys = list_form ? list_keys : list_keys + 3;

        if (list_form && node->type == YAML_MAPPING_NODE) {
                unsigned found = 0;
                for (size_t i = 0; i < 3; i++)
                        found += !!map_get(x, node, notify_kind_table[i], NULL);
                if (found != 1)
                        err(x, node, "notify: each entry needs exactly one of instance, group or check");
        }
        MAP_FOREACH(x, node, keys, "notify", k, kn, v) {
                int kind = table_lookup(notify_kind_table, k);
                if (kind >= 0) {
                        if (n->name)
                                continue; /* more than one kind: reported above, the first one counts */
                        if (get_nonempty_str(x, v, k, &n->name)) {
                                n->kind = (NotifyKind) kind;
                                n->group = kind == NOTIFY_GROUP;
                                rec(x, &n->kind, kn);
                        }
                } else if (streq(k, "timeout"))
                        get_duration(x, v, k, &n->timeout);
                else {
                        char ***f = notify_script_field(n, k);
                        if (get_strv(x, v, k, true, f) && !(*f)[0])
                                err(x, v, "%s: must not be empty", k);
                }
        }
}

static void load_notify(LoadCtx *x, yaml_node_t *node) {
        Config *c = x->c;

        if (node->type == YAML_SEQUENCE_NODE) {
                size_t n = seq_size(x, node, "notify");
                if (n == 0 || !(c->notify = calloc(n, sizeof(NotifyConf))))
                        return;
                for (size_t i = 0; i < n; i++) {
                        yaml_node_t *item = seq_item(x, node, i);
                        NotifyConf *nc = &c->notify[c->n_notify++];
                        notify_defaults(nc);
                        if (!item)
                                continue;
                        nc->loc = node_loc(x, item);
                        if (item->type != YAML_MAPPING_NODE) {
                                err(x, item, "notify: expected a mapping, got %s", node_kind(item));
                                continue;
                        }
                        load_notify_body(x, item, true, nc);
                }
        } else {
                /* name → scripts; what the name is (instance, group, check) is resolved by validation */
                size_t n = map_size(node);
                const char *name;
                yaml_node_t *kn, *body;
                if (n > 0 && !(c->notify = calloc(n, sizeof(NotifyConf))))
                        return err(x, node, "out of memory");
                MAP_FOREACH(x, node, NULL, "notify", name, kn, body) {
                        NotifyConf *nc = &c->notify[c->n_notify++];
                        notify_defaults(nc);
                        nc->loc = node_loc(x, kn);
                        nc->name = strdup(name);
                        rec(x, &nc->name, kn);
                        load_notify_body(x, body, false, nc);
                }
        }
}

/* ---- top level ---- */

static void load_root(LoadCtx *x, yaml_node_t *root) {
        static const char *const keys[] = {
                "global", "vrrp", "zookeeper", "checks", "virtual_servers", "ipvs", "notify", NULL
        };
        const char *k;
        yaml_node_t *kn, *v;

        if (root->type != YAML_MAPPING_NODE) {
                err(x, root, "expected a mapping at the top level (global:, vrrp:, checks:, ...), got %s", node_kind(root));
                return;
        }
        MAP_FOREACH(x, root, keys, "the top level", k, kn, v) {
                if (streq(k, "global"))
                        load_global(x, v);
                else if (streq(k, "vrrp"))
                        load_vrrp(x, v);
                else if (streq(k, "zookeeper"))
                        load_zookeeper(x, kn, v);
                else if (streq(k, "checks"))
                        load_checks(x, v);
                else if (streq(k, "virtual_servers"))
                        load_virtual_servers(x, v);
                else if (streq(k, "ipvs"))
                        load_ipvs(x, v);
                else if (streq(k, "notify"))
                        load_notify(x, v);
        }
}

/* ---- freeing ---- */

static void check_conf_done(CheckConf *c) {
        free(c->name);
        free(c->method);
        free(c->path);
        free(c->virtualhost);
        free(c->status);
        free(c->digest);
        free(c->regex);
        strv_free(c->headers);
        free(c->sni);
        free(c->ca_file);
        free(c->cert_file);
        free(c->key_file);
        free(c->helo_name);
        free(c->query_name);
        free(c->query_type);
        free(c->expect_answer);
        free(c->payload);
        free(c->expect);
        strv_free(c->command);
        free(c->file_path);
}

static void vips_free(VipConf *v, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(v[i].scope);
        free(v);
}

Config *config_free(Config *c) {
        if (!c)
                return NULL;
        strv_free(c->files);
        free(c->global.router_id);
        for (size_t i = 0; i < c->n_instances; i++) {
                VrrpInstanceConf *in = &c->instances[i];
                free(in->name);
                free(in->auth_pass);
                free(in->unicast_peers);
                vips_free(in->virtual_addresses, in->n_virtual_addresses);
                vips_free(in->excluded_addresses, in->n_excluded_addresses);
                free(in->track_interfaces);
                for (size_t j = 0; j < in->n_track_checks; j++)
                        free(in->track_checks[j].name);
                free(in->track_checks);
                strv_free(in->fencing.agents);
                strv_free(in->fencing.commands);
                free(in->sync_group);
        }
        free(c->instances);
        for (size_t i = 0; i < c->n_sync_groups; i++) {
                free(c->sync_groups[i].name);
                strv_free(c->sync_groups[i].members);
        }
        free(c->sync_groups);
        for (size_t i = 0; i < c->n_checks; i++)
                check_conf_done(&c->checks[i]);
        free(c->checks);
        for (size_t i = 0; i < c->n_virtual_servers; i++) {
                VirtualServerConf *vs = &c->virtual_servers[i];
                free(vs->id);
                free(vs->scheduler);
                strv_free(vs->flags);
                for (size_t j = 0; j < vs->n_real_servers; j++) {
                        RealServerConf *rs = &vs->real_servers[j];
                        if (rs->check) {
                                check_conf_done(rs->check);
                                free(rs->check);
                        }
                        free(rs->check_ref);
                }
                free(vs->real_servers);
        }
        free(c->virtual_servers);
        free(c->ipvs.sync_instance);
        free(c->zookeeper.hosts);
        free(c->zookeeper.root);
        for (size_t i = 0; i < c->n_notify; i++) {
                NotifyConf *n = &c->notify[i];
                free(n->name);
                strv_free(n->notify);
                strv_free(n->notify_master);
                strv_free(n->notify_backup);
                strv_free(n->notify_fault);
                strv_free(n->notify_stop);
                strv_free(n->notify_up);
                strv_free(n->notify_down);
        }
        free(c->notify);
        free(c);
        return NULL;
}

/* ---- YAML parsing ---- */

static ConfLoc offset_loc(const char *file, const char *data, size_t len, size_t offset) {
        ConfLoc l = { .file = file, .line = 1, .col = 1 };
        for (size_t i = 0; i < offset && i < len; i++) {
                if (data[i] == '\n') {
                        l.line++;
                        l.col = 1;
                } else if (((unsigned char) data[i] & 0xc0) != 0x80)
                        l.col++;
        }
        return l;
}

static void report_parser_error(LoadCtx *x, const yaml_parser_t *p, const char *data, size_t len) {
        switch (p->error) {
        case YAML_MEMORY_ERROR: {
                ConfLoc l = { .file = x->file };
                conf_diag_add(x->diags, &l, false, "out of memory while parsing YAML");
                return;
        }
        case YAML_READER_ERROR: {
                ConfLoc l = offset_loc(x->file, data, len, p->problem_offset);
                if (p->problem_value >= 0 && p->problem && strstr(p->problem, "UTF-8"))
                        conf_diag_add(x->diags, &l, false, "invalid input: %s (byte 0x%02x): the file must be UTF-8",
                                      strna(p->problem), (unsigned) p->problem_value);
                else if (p->problem_value >= 0)
                        conf_diag_add(x->diags, &l, false, "invalid input: %s (U+%04X)", strna(p->problem),
                                      (unsigned) p->problem_value);
                else
                        conf_diag_add(x->diags, &l, false, "invalid input: %s", strna(p->problem));
                return;
        }
        default: {
                ConfLoc l = mark_loc(x, &p->problem_mark);
                const char *hint = "";
                if (p->problem_mark.index < len && data[p->problem_mark.index] == '\t')
                        hint = " (tabs cannot indent YAML: use spaces)";
                if (p->context && (p->context_mark.line != p->problem_mark.line ||
                                   p->context_mark.column != p->problem_mark.column))
                        conf_diag_add(x->diags, &l, false, "invalid YAML: %s %s at line %u column %u%s",
                                      strna(p->problem), p->context, (unsigned) p->context_mark.line + 1,
                                      (unsigned) p->context_mark.column + 1, hint);
                else
                        conf_diag_add(x->diags, &l, false, "invalid YAML: %s%s", strna(p->problem), hint);
                return;
        }
        }
}

/* One pass over the events before building the document: refuses nesting
 * deeper than CONF_MAX_DEPTH and more than one document. */
static bool yaml_precheck(LoadCtx *x, const char *data, size_t len) {
        yaml_parser_t p;
        unsigned depth = 0, docs = 0;
        bool ok = true;

        if (!yaml_parser_initialize(&p))
                return false;
        yaml_parser_set_input_string(&p, (const unsigned char *) data, len);
        for (bool done = false; !done;) {
                yaml_event_t e;
                if (!yaml_parser_parse(&p, &e)) {
                        report_parser_error(x, &p, data, len);
                        ok = false;
                        break;
                }
                switch (e.type) {
                case YAML_STREAM_END_EVENT:
                        done = true;
                        break;
                case YAML_DOCUMENT_START_EVENT:
                        if (++docs > 1) {
                                ConfLoc l = mark_loc(x, &e.start_mark);
                                conf_diag_add(x->diags, &l, false, "only one YAML document is allowed in a configuration file");
                                ok = false;
                                done = true;
                        }
                        break;
                case YAML_SEQUENCE_START_EVENT:
                case YAML_MAPPING_START_EVENT:
                        if (++depth > CONF_MAX_DEPTH) {
                                ConfLoc l = mark_loc(x, &e.start_mark);
                                conf_diag_add(x->diags, &l, false, "nesting deeper than %d levels", CONF_MAX_DEPTH);
                                ok = false;
                                done = true;
                        }
                        break;
                case YAML_SEQUENCE_END_EVENT:
                case YAML_MAPPING_END_EVENT:
                        depth--;
                        break;
                default:
                        break;
                }
                yaml_event_delete(&e);
        }
        yaml_parser_delete(&p);
        return ok;
}

int config_load_string(const char *name, const char *data, size_t len, Config **ret, ConfDiags *diags) {
        ConfDiags local = {};
        ConfLocs locs = {};
        Config *c;
        yaml_parser_t parser;
        yaml_document_t doc;
        bool have_doc = false;

        if (!diags)
                diags = &local;
        size_t errors_before = diags->n_errors;

        c = calloc(1, sizeof(Config));
        if (!c)
                return -ENOMEM;
        c->files = calloc(2, sizeof(char *));
        if (!c->files || !(c->files[0] = strdup(name ? name : "<string>"))) {
                config_free(c);
                return -ENOMEM;
        }
        ipvs_defaults(&c->ipvs);
        zookeeper_defaults(&c->zookeeper);

        LoadCtx x = {
                .doc = &doc,
                .file = c->files[0],
                .diags = diags,
                .locs = &locs,
                .c = c,
                .budget = CONF_MAX_NODES,
        };

        if (!data)
                data = "";
        if (yaml_precheck(&x, data, len)) {
                if (!yaml_parser_initialize(&parser)) {
                        config_free(c);
                        return -ENOMEM;
                }
                yaml_parser_set_input_string(&parser, (const unsigned char *) data, len);
                if (!yaml_parser_load(&parser, &doc))
                        report_parser_error(&x, &parser, data, len);
                else {
                        have_doc = true;
                        yaml_node_t *root = yaml_document_get_root_node(&doc);
                        if (!root || node_is_null(root)) {
                                ConfLoc l = { .file = c->files[0] };
                                conf_diag_add(diags, &l, true, "the configuration is empty");
                        } else
                                load_root(&x, root);
                }
                yaml_parser_delete(&parser);
        }
        if (have_doc)
                yaml_document_delete(&doc);

        /* Semantic checks run even after type errors, so one run shows every
         * problem; validation skips values that are unset because they failed. */
        if (have_doc)
                config_validate(c, &locs, diags);
        conf_locs_free(&locs);

        if (diags->n_errors > errors_before) {
                config_free(c);
                conf_diags_free(&local);
                return -EINVAL;
        }
        conf_diags_free(&local);
        *ret = c;
        return 0;
}

int config_load_file(const char *path, Config **ret, ConfDiags *diags) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        struct stat st;
        ConfLoc l = { .file = path };
        size_t len = 0, alloc = 0;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                int r = -errno;
                conf_diag_add(diags, &l, false, "cannot open: %s", strerror(-r));
                return r;
        }
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                int r = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
                conf_diag_add(diags, &l, false, "not a regular file");
                return r;
        }
        for (;;) {
                if (len + 4096 > alloc) {
                        if (alloc >= CONF_MAX_FILE_SIZE) {
                                conf_diag_add(diags, &l, false, "file larger than %u bytes", CONF_MAX_FILE_SIZE);
                                return -EFBIG;
                        }
                        size_t na = MAX(alloc * 2, (size_t) 65536);
                        char *n = realloc(buf, na);
                        if (!n)
                                return -ENOMEM;
                        buf = n;
                        alloc = na;
                }
                ssize_t k = read(fd, buf + len, alloc - len);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        int r = -errno;
                        conf_diag_add(diags, &l, false, "read failed: %s", strerror(-r));
                        return r;
                }
                if (k == 0)
                        break;
                len += (size_t) k;
        }
        return config_load_string(path, buf ? buf : "", len, ret, diags);
}

/* ---- lookups ---- */

const VrrpInstanceConf *config_find_instance(const Config *c, const char *name) {
        for (size_t i = 0; c && name && i < c->n_instances; i++)
                if (c->instances[i].name && streq(c->instances[i].name, name))
                        return &c->instances[i];
        return NULL;
}

const CheckConf *config_find_check(const Config *c, const char *name) {
        for (size_t i = 0; c && name && i < c->n_checks; i++)
                if (c->checks[i].name && streq(c->checks[i].name, name))
                        return &c->checks[i];
        return NULL;
}

const SyncGroupConf *config_find_sync_group(const Config *c, const char *name) {
        for (size_t i = 0; c && name && i < c->n_sync_groups; i++)
                if (c->sync_groups[i].name && streq(c->sync_groups[i].name, name))
                        return &c->sync_groups[i];
        return NULL;
}

Forwarding real_server_forwarding(const VirtualServerConf *vs, const RealServerConf *rs) {
        return rs->forwarding != FORWARDING_INHERIT ? rs->forwarding : vs->forwarding;
}

uint16_t real_server_port(const VirtualServerConf *vs, const RealServerConf *rs) {
        return rs->port != 0 ? rs->port : vs->port;
}
