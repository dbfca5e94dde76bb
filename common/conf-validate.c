/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Semantic checks over the whole model: ranges that depend on other fields,
 * cross references, duplicates and conflicts, plus the derived fields (instance
 * family, service ids, inline check names and targets, sync group back
 * references). Every problem is reported with the location the loader
 * recorded for the offending value. The only I/O is asking whether exec
 * commands exist and which addresses this host owns (for priority 255). */

#include <arpa/inet.h>
#include <ctype.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <stdarg.h>
#include <sys/stat.h>

#include "conf-internal.h"
#include "macro.h"

typedef struct VCtx {
        Config *c;
        ConfLocs *locs;
        ConfDiags *d;
} VCtx;

static const ConfLoc *at(VCtx *v, const void *field, const ConfLoc *fallback) {
        return conf_locs_get(v->locs, field, fallback);
}

static bool has(VCtx *v, const void *field) {
        return conf_locs_has(v->locs, field);
}

#define verr(v, loc, ...) conf_diag_add((v)->d, (loc), false, __VA_ARGS__)
#define vwarn(v, loc, ...) conf_diag_add((v)->d, (loc), true, __VA_ARGS__)

static const char *family_name(int family) {
        return family == AF_INET ? "IPv4" : family == AF_INET6 ? "IPv6" : "unknown";
}

void conf_format_addr_port(char *buf, size_t len, const InAddrPrefix *a, uint16_t port) {
        char s[INET6_ADDRSTRLEN];
        if (a->family == AF_INET6)
                snprintf(buf, len, "[%s]:%u", format_address(s, sizeof s, a->family, &a->addr), port);
        else if (a->family == AF_INET)
                snprintf(buf, len, "%s:%u", format_address(s, sizeof s, a->family, &a->addr), port);
        else
                snprintf(buf, len, "?:%u", port);
}

static const char *addr_str(char *buf, size_t len, const InAddrPrefix *a) {
        return a->family == AF_UNSPEC ? "(none)" : format_address(buf, len, a->family, &a->addr);
}

/* ---- duplicate detection: sort (key, position), report later copies ---- */

typedef struct DupKey {
        char *key;
        size_t idx;
} DupKey;

static int dupkey_cmp(const void *a, const void *b) {
        const DupKey *p = a, *q = b;
        int r = strcmp(p->key, q->key);
        return r != 0 ? r : p->idx < q->idx ? -1 : p->idx > q->idx ? 1 : 0;
}

typedef void (*dup_cb)(VCtx *v, size_t later, size_t first, const char *key, void *userdata);

/* keys[] entries with key NULL are ignored. Frees the keys. */
static void find_dups(VCtx *v, DupKey *keys, size_t n, dup_cb cb, void *userdata) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
                if (keys[i].key)
                        keys[m++] = keys[i];
        qsort(keys, m, sizeof(DupKey), dupkey_cmp);
        for (size_t i = 1, first = 0; i < m; i++) {
                if (!streq(keys[i].key, keys[first].key)) {
                        first = i;
                        continue;
                }
                cb(v, keys[i].idx, keys[first].idx, keys[i].key, userdata);
        }
        for (size_t i = 0; i < m; i++)
                free(keys[i].key);
}

static char **names_of_instances(const Config *c) {
        char **l = calloc(c->n_instances + 1, sizeof(char *));
        for (size_t i = 0, j = 0; l && i < c->n_instances; i++)
                if (c->instances[i].name)
                        l[j++] = c->instances[i].name;
        return l;
}

static char **names_of_checks(const Config *c) {
        char **l = calloc(c->n_checks + 1, sizeof(char *));
        for (size_t i = 0, j = 0; l && i < c->n_checks; i++)
                if (c->checks[i].name)
                        l[j++] = c->checks[i].name;
        return l;
}

/* " (did you mean 'x'?)" or "" */
static const char *suggestion(char *buf, size_t len, const char *s, char **candidates) {
        const char *m = candidates ? conf_suggest(s, (const char *const *) candidates) : NULL;
        if (m)
                snprintf(buf, len, " (did you mean '%s'?)", m);
        else
                buf[0] = 0;
        return buf;
}

/* ---- vrrp ---- */

static bool bus_name_valid(const char *s) {
        /* a well-known D-Bus name: ≥ 2 elements of [A-Za-z0-9_-], not starting with a digit */
        size_t len = strlen(s), elements = 1;
        if (len == 0 || len > 255 || s[0] == '.' || s[len - 1] == '.')
                return false;
        for (const char *p = s; *p; p++) {
                if (*p == '.') {
                        if (p[1] == '.' || isdigit((unsigned char) p[1]))
                                return false;
                        elements++;
                } else if (!(isalnum((unsigned char) *p) || *p == '_' || *p == '-'))
                        return false;
        }
        return elements >= 2 && !isdigit((unsigned char) s[0]);
}

/* Does any interface of this host carry the address? (priority 255 means owner) */
static bool address_owned(const InAddrPrefix *a, struct ifaddrs *ifs) {
        for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
                if (!i->ifa_addr || i->ifa_addr->sa_family != a->family)
                        continue;
                if (a->family == AF_INET &&
                    memcmp(&((struct sockaddr_in *) i->ifa_addr)->sin_addr, &a->addr.in, 4) == 0)
                        return true;
                if (a->family == AF_INET6 &&
                    memcmp(&((struct sockaddr_in6 *) i->ifa_addr)->sin6_addr, &a->addr.in6, 16) == 0)
                        return true;
        }
        return false;
}

static void validate_vips(VCtx *v, VrrpInstanceConf *in, VipConf *vips, size_t n, bool excluded) {
        char a[INET6_ADDRSTRLEN];
        const char *what = excluded ? "excluded address" : "virtual address";

        for (size_t j = 0; j < n; j++) {
                VipConf *vip = &vips[j];
                if (vip->addr.family == AF_UNSPEC)
                        continue;
                if (!excluded && in->family != AF_UNSPEC && vip->addr.family != in->family)
                        verr(v, at(v, &vip->addr, &vip->loc),
                             "virtual address %s is %s but the instance's first virtual address is %s: "
                             "put each address family in its own instance",
                             addr_str(a, sizeof a, &vip->addr), family_name(vip->addr.family), family_name(in->family));
                if (address_is_multicast(vip->addr.family, &vip->addr.addr) ||
                    address_is_null(vip->addr.family, &vip->addr.addr))
                        verr(v, at(v, &vip->addr, &vip->loc), "%s %s is not a unicast address", what,
                             addr_str(a, sizeof a, &vip->addr));
                if (vip->label[0]) {
                        const char *dev = vip->device[0] ? vip->device : in->interface;
                        if (vip->addr.family != AF_INET)
                                verr(v, at(v, vip->label, &vip->loc), "label: only IPv4 addresses have labels");
                        else if (dev[0] && !iflabel_valid(vip->label, dev))
                                verr(v, at(v, vip->label, &vip->loc),
                                     "label: '%s' must start with the device name '%s' (e.g. \"%s:1\")", vip->label, dev, dev);
                }
                if (vip->has_broadcast && vip->addr.family != AF_INET)
                        verr(v, at(v, &vip->broadcast, &vip->loc), "broadcast: only IPv4 addresses have a broadcast address");
        }
}

static void validate_instance(VCtx *v, VrrpInstanceConf *in, struct ifaddrs **ifs, bool *ifs_loaded) {
        Config *c = v->c;
        char a[INET6_ADDRSTRLEN], buf[128];

        /* family: the first virtual address decides, then unicast peers, else IPv4 */
        in->family = AF_UNSPEC;
        for (size_t j = 0; j < in->n_virtual_addresses && in->family == AF_UNSPEC; j++)
                in->family = in->virtual_addresses[j].addr.family;
        for (size_t j = 0; j < in->n_unicast_peers && in->family == AF_UNSPEC; j++)
                in->family = in->unicast_peers[j].family;
        if (in->n_virtual_addresses == 0 && !has(v, &in->virtual_addresses))
                vwarn(v, &in->loc, "vrrp instance '%s' has no virtual_addresses", strna(in->name));
        validate_vips(v, in, in->virtual_addresses, in->n_virtual_addresses, false);
        validate_vips(v, in, in->excluded_addresses, in->n_excluded_addresses, true);
        if (in->family == AF_UNSPEC)
                in->family = AF_INET;

        /* advert interval: v2 carries whole seconds (8 bits), v3 centiseconds (12 bits) */
        const ConfLoc *ail = at(v, &in->advert_interval, &in->loc);
        if (in->version == 2) {
                if (in->advert_interval % USEC_PER_SEC != 0 || in->advert_interval < USEC_PER_SEC ||
                    in->advert_interval > 255 * USEC_PER_SEC)
                        verr(v, ail, "advert_interval: %s is not possible with VRRP version 2 (whole seconds, 1s..255s)",
                             format_duration(buf, sizeof buf, in->advert_interval));
        } else if (in->advert_interval % (10 * USEC_PER_MSEC) != 0 || in->advert_interval < 10 * USEC_PER_MSEC ||
                   in->advert_interval > 4095 * 10 * USEC_PER_MSEC)
                verr(v, ail, "advert_interval: %s is not possible with VRRP version 3 (multiples of 10ms, 10ms..40950ms)",
                     format_duration(buf, sizeof buf, in->advert_interval));

        if (in->auth_pass && in->version == 3)
                verr(v, at(v, &in->auth_pass, &in->loc), "authentication: VRRP version 3 has no authentication (RFC 5798); "
                     "remove it or set version: 2");

        if (in->unicast) {
                if (in->unicast_source.family != AF_UNSPEC && in->unicast_source.family != in->family)
                        verr(v, at(v, &in->unicast_source, &in->loc), "source: %s is %s but the instance is %s",
                             addr_str(a, sizeof a, &in->unicast_source), family_name(in->unicast_source.family),
                             family_name(in->family));
                for (size_t j = 0; j < in->n_unicast_peers; j++) {
                        InAddrPrefix *p = &in->unicast_peers[j];
                        if (p->family == AF_UNSPEC)
                                continue;
                        if (p->family != in->family)
                                verr(v, at(v, p, &in->loc), "peers: %s is %s but the instance's virtual addresses are %s",
                                     addr_str(a, sizeof a, p), family_name(p->family), family_name(in->family));
                        else if (address_is_multicast(p->family, &p->addr) || address_is_null(p->family, &p->addr))
                                verr(v, at(v, p, &in->loc), "peers: %s is not a unicast address", addr_str(a, sizeof a, p));
                }
        }

        if (in->priority == 255 && in->n_virtual_addresses > 0) {
                if (!*ifs_loaded) {
                        *ifs_loaded = true;
                        if (getifaddrs(ifs) < 0)
                                *ifs = NULL;
                }
                for (size_t j = 0; j < in->n_virtual_addresses; j++) {
                        VipConf *vip = &in->virtual_addresses[j];
                        if (vip->addr.family != AF_UNSPEC && !address_owned(&vip->addr, *ifs)) {
                                vwarn(v, at(v, &in->priority, &in->loc),
                                      "priority: 255 means this node owns the addresses, but %s is not configured "
                                      "on this host", addr_str(a, sizeof a, &vip->addr));
                                break;
                        }
                }
        }

        _cleanup_free_ char **check_names = names_of_checks(c);
        for (size_t j = 0; j < in->n_track_checks; j++) {
                TrackCheckConf *t = &in->track_checks[j];
                if (t->name && !config_find_check(c, t->name))
                        verr(v, at(v, &t->name, &t->loc), "track check '%s' is not defined under checks:%s", t->name,
                             suggestion(buf, sizeof buf, t->name, check_names));
        }

        FencingConf *f = &in->fencing;
        STRV_FOREACH(agent, f->agents)
                if (!bus_name_valid(*agent))
                        verr(v, at(v, agent, &f->loc), "agents: '%s' is not a D-Bus name (like org.vigil.FenceZk1)", *agent);
        STRV_FOREACH(cmd, f->commands) {
                const CheckConf *ch = config_find_check(c, *cmd);
                if (!ch)
                        verr(v, at(v, cmd, &f->loc), "fencing command '%s' is not defined under checks:%s", *cmd,
                             suggestion(buf, sizeof buf, *cmd, check_names));
                else if (ch->type != CHECK_EXEC)
                        verr(v, at(v, cmd, &f->loc), "fencing command '%s' must be a check of type exec, not %s", *cmd,
                             check_type_to_string(ch->type));
                else if (!ch->on_demand)
                        verr(v, at(v, cmd, &f->loc), "fencing command '%s' must have on_demand: true "
                             "(a fence runs only when asked, never on a schedule)", *cmd);
        }
        if (f->policy != FENCE_POLICY_NONE && strv_length(f->agents) == 0 && strv_length(f->commands) == 0)
                verr(v, at(v, &f->policy, &f->loc), "fencing: policy %s needs at least one agent or command",
                     fence_policy_table[f->policy]);
        if (f->timeout == 0)
                verr(v, at(v, &f->timeout, &f->loc), "timeout: must be greater than 0");

        if (in->vip_lease == VIP_LEASE_FIXED && in->vip_lease_duration >= 3 * in->advert_interval)
                vwarn(v, at(v, &in->vip_lease, &in->loc),
                      "vip_lease: %s is not shorter than the master down interval (3 × advert_interval): "
                      "a peer may take over while this node still holds the addresses",
                      format_duration(buf, sizeof buf, in->vip_lease_duration));
        if (in->vmac_interface[0] && !in->use_vmac)
                verr(v, at(v, in->vmac_interface, &in->loc), "vmac_interface: needs use_vmac: true");
}

static void dup_vrid_cb(VCtx *v, size_t later, size_t first, const char *key, void *userdata) {
        VrrpInstanceConf *a = &v->c->instances[later], *b = &v->c->instances[first];
        verr(v, at(v, &a->virtual_router_id, &a->loc),
             "virtual_router_id %u is already used on %s by instance '%s' (%s) at line %u", a->virtual_router_id,
             a->interface, strna(b->name), family_name(a->family), b->loc.line);
}

typedef struct VipRef {
        VrrpInstanceConf *in;
        VipConf *vip;
} VipRef;

static void dup_vip_cb(VCtx *v, size_t later, size_t first, const char *key, void *userdata) {
        VipRef *refs = userdata;
        char a[INET6_ADDRSTRLEN];
        VipConf *vip = refs[later].vip;
        if (refs[later].in == refs[first].in)
                verr(v, at(v, &vip->addr, &vip->loc), "virtual address %s is listed twice in instance '%s'",
                     addr_str(a, sizeof a, &vip->addr), strna(refs[later].in->name));
        else
                verr(v, at(v, &vip->addr, &vip->loc), "virtual address %s is already managed by instance '%s'",
                     addr_str(a, sizeof a, &vip->addr), strna(refs[first].in->name));
}

typedef struct MemberRef {
        SyncGroupConf *g;
        char **member;
} MemberRef;

static void dup_member_cb(VCtx *v, size_t later, size_t first, const char *key, void *userdata) {
        MemberRef *refs = userdata;
        if (refs[later].g == refs[first].g)
                verr(v, at(v, refs[later].member, &refs[later].g->loc), "instance '%s' is listed twice in sync group '%s'",
                     *refs[later].member, strna(refs[later].g->name));
        else
                verr(v, at(v, refs[later].member, &refs[later].g->loc),
                     "instance '%s' is already in sync group '%s': an instance belongs to at most one group",
                     *refs[later].member, strna(refs[first].g->name));
}

static void validate_vrrp(VCtx *v) {
        Config *c = v->c;
        struct ifaddrs *ifs = NULL;
        bool ifs_loaded = false;
        char buf[128];

        for (size_t i = 0; i < c->n_instances; i++)
                validate_instance(v, &c->instances[i], &ifs, &ifs_loaded);
        if (ifs)
                freeifaddrs(ifs);

        /* same VRID on the same link and family: the two would fight over one virtual MAC */
        DupKey *keys = calloc(MAX(c->n_instances, (size_t) 1), sizeof(DupKey));
        if (!keys)
                return;
        for (size_t i = 0; i < c->n_instances; i++) {
                VrrpInstanceConf *in = &c->instances[i];
                keys[i].idx = i;
                if (in->interface[0] && in->virtual_router_id > 0 &&
                    asprintf(&keys[i].key, "%s|%d|%u", in->interface, in->family, in->virtual_router_id) < 0)
                        keys[i].key = NULL;
        }
        find_dups(v, keys, c->n_instances, dup_vrid_cb, NULL);
        free(keys);

        /* one address, one owner */
        size_t nv = 0;
        for (size_t i = 0; i < c->n_instances; i++)
                nv += c->instances[i].n_virtual_addresses;
        _cleanup_free_ VipRef *refs = calloc(MAX(nv, (size_t) 1), sizeof(VipRef));
        keys = calloc(MAX(nv, (size_t) 1), sizeof(DupKey));
        if (!refs || !keys) {
                free(keys);
                return;
        }
        size_t k = 0;
        for (size_t i = 0; i < c->n_instances; i++)
                for (size_t j = 0; j < c->instances[i].n_virtual_addresses; j++, k++) {
                        VipConf *vip = &c->instances[i].virtual_addresses[j];
                        char a[INET6_ADDRSTRLEN];
                        refs[k] = (VipRef) { &c->instances[i], vip };
                        keys[k].idx = k;
                        if (vip->addr.family != AF_UNSPEC)
                                keys[k].key = strdup(format_address(a, sizeof a, vip->addr.family, &vip->addr.addr));
                }
        find_dups(v, keys, nv, dup_vip_cb, refs);
        free(keys);

        /* sync groups: members exist, at most one group each */
        _cleanup_free_ char **inames = names_of_instances(c);
        size_t nm = 0;
        for (size_t i = 0; i < c->n_sync_groups; i++)
                nm += strv_length(c->sync_groups[i].members);
        _cleanup_free_ MemberRef *mrefs = calloc(MAX(nm, (size_t) 1), sizeof(MemberRef));
        keys = calloc(MAX(nm, (size_t) 1), sizeof(DupKey));
        if (!mrefs || !keys) {
                free(keys);
                return;
        }
        k = 0;
        for (size_t i = 0; i < c->n_sync_groups; i++) {
                SyncGroupConf *g = &c->sync_groups[i];
                STRV_FOREACH(m, g->members) {
                        VrrpInstanceConf *in = (VrrpInstanceConf *) config_find_instance(c, *m);
                        mrefs[k] = (MemberRef) { g, m };
                        keys[k].idx = k;
                        keys[k].key = strdup(*m);
                        k++;
                        if (!in) {
                                verr(v, at(v, m, &g->loc), "sync group '%s': instance '%s' is not defined under vrrp.instances:%s",
                                     strna(g->name), *m, suggestion(buf, sizeof buf, *m, inames));
                                continue;
                        }
                        if (!in->sync_group && g->name)
                                in->sync_group = strdup(g->name);
                }
                if (strv_length(g->members) == 1)
                        vwarn(v, &g->loc, "sync group '%s' has a single instance", strna(g->name));
        }
        find_dups(v, keys, nm, dup_member_cb, mrefs);
        free(keys);
}

/* ---- checks ---- */

static uint16_t check_type_default_port(CheckType t) {
        switch (t) {
        case CHECK_HTTP:
                return 80;
        case CHECK_HTTPS:
                return 443;
        case CHECK_SMTP:
                return 25;
        case CHECK_DNS:
                return 53;
        default:
                return 0;
        }
}

static bool check_type_is_network(CheckType t) {
        return t != CHECK_EXEC && t != CHECK_FILE;
}

static void validate_check(VCtx *v, CheckConf *ch, const char *what) {
        char a[INET6_ADDRSTRLEN];

        if (!has(v, &ch->type))
                return; /* no (valid) type: the loader said so, nothing below makes sense */

        if (check_type_is_network(ch->type)) {
                if (ch->address.family == AF_UNSPEC && !ch->inline_check)
                        verr(v, &ch->loc, "%s: missing required key 'address' (the host to check)", what);
                if (ch->port == 0 && ch->type != CHECK_PING) {
                        ch->port = check_type_default_port(ch->type);
                        if (ch->port == 0)
                                verr(v, &ch->loc, "%s: a %s check needs a port", what, check_type_to_string(ch->type));
                }
                if (ch->bind_address.family != AF_UNSPEC && ch->address.family != AF_UNSPEC &&
                    ch->bind_address.family != ch->address.family)
                        verr(v, at(v, &ch->bind_address, &ch->loc), "bind_address: %s is %s but the target is %s",
                             addr_str(a, sizeof a, &ch->bind_address), family_name(ch->bind_address.family),
                             family_name(ch->address.family));
        }

        if (ch->interval == 0)
                verr(v, at(v, &ch->interval, &ch->loc), "interval: must be greater than 0");
        if (ch->timeout == 0)
                verr(v, at(v, &ch->timeout, &ch->loc), "timeout: must be greater than 0");
        if (!has(v, &ch->warmup))
                ch->warmup = ch->interval;

        if (ch->type == CHECK_HTTPS) {
                if (!ch->sni && ch->virtualhost)
                        ch->sni = strdup(ch->virtualhost);
                if (!!ch->cert_file != !!ch->key_file)
                        verr(v, at(v, ch->cert_file ? (void *) &ch->cert_file : (void *) &ch->key_file, &ch->loc),
                             "%s: a client certificate needs both cert_file and key_file", what);
                if (ch->ca_file && !ch->tls_verify)
                        vwarn(v, at(v, &ch->ca_file, &ch->loc), "ca_file: has no effect without tls_verify: true");
        }

        if (ch->type == CHECK_EXEC && ch->command && ch->command[0]) {
                const char *p = ch->command[0];
                const ConfLoc *l = at(v, &ch->command[0], &ch->loc);
                if (ch->shell) {
                        if (access("/bin/sh", X_OK) < 0)
                                verr(v, l, "command: shell: true needs /bin/sh, which is not executable here");
                } else if (p[0] != '/')
                        verr(v, l, "command: '%s' must be an absolute path (commands are not looked up in $PATH)", p);
                else {
                        struct stat st;
                        if (stat(p, &st) < 0)
                                verr(v, l, "command: '%s' %s", p, errno == ENOENT ? "does not exist" : strerror(errno));
                        else if (!S_ISREG(st.st_mode))
                                verr(v, l, "command: '%s' is not a regular file", p);
                        else if (access(p, X_OK) < 0)
                                verr(v, l, "command: '%s' is not executable", p);
                }
        }
}

static void validate_checks(VCtx *v) {
        for (size_t i = 0; i < v->c->n_checks; i++) {
                CheckConf *ch = &v->c->checks[i];
                _cleanup_free_ char *what = NULL;
                if (asprintf(&what, "check '%s'", strna(ch->name)) < 0)
                        return;
                validate_check(v, ch, what);
        }
}

/* ---- virtual servers ---- */

static int vs_family(const VirtualServerConf *vs) {
        return vs->fwmark > 0 ? vs->fwmark_family : vs->address.family;
}

static void make_vs_id(VirtualServerConf *vs) {
        char buf[ADDR_PORT_STR_MAX + 16];
        free(vs->id);
        vs->id = NULL;
        if (vs->fwmark > 0)
                /* an IPv6 fwmark service is a different service than the IPv4 one with the same mark */
                snprintf(buf, sizeof buf, "%s:%u", vs->fwmark_family == AF_INET6 ? "fwmark6" : "fwmark", vs->fwmark);
        else if (vs->address.family != AF_UNSPEC) {
                char ap[ADDR_PORT_STR_MAX];
                conf_format_addr_port(ap, sizeof ap, &vs->address, vs->port);
                snprintf(buf, sizeof buf, "%s:%s", ipvs_protocol_to_string(vs->protocol), ap);
        } else
                return;
        vs->id = strdup(buf);
}

static void dup_rs_cb(VCtx *v, size_t later, size_t first, const char *key, void *userdata) {
        VirtualServerConf *vs = userdata;
        RealServerConf *rs = &vs->real_servers[later];
        verr(v, at(v, &rs->address, &rs->loc), "real server %s is listed twice in virtual server %s (first at line %u)",
             key, strna(vs->id), vs->real_servers[first].loc.line);
}

static void dup_vs_cb(VCtx *v, size_t later, size_t first, const char *key, void *userdata) {
        VirtualServerConf *vs = &v->c->virtual_servers[later];
        verr(v, &vs->loc, "virtual server %s is defined twice (first at line %u)", key,
             v->c->virtual_servers[first].loc.line);
}

static void validate_real_server(VCtx *v, VirtualServerConf *vs, RealServerConf *rs, char **check_names) {
        char a[INET6_ADDRSTRLEN], buf[128];
        int family = vs_family(vs);
        Forwarding fwd = real_server_forwarding(vs, rs);

        if (rs->address.family != AF_UNSPEC && family != AF_UNSPEC && rs->address.family != family)
                verr(v, at(v, &rs->address, &rs->loc),
                     "real server %s is %s but virtual server %s is %s: mixed address families are not supported",
                     addr_str(a, sizeof a, &rs->address), family_name(rs->address.family), strna(vs->id),
                     family_name(family));

        if (!has(v, &rs->port))
                rs->port = vs->fwmark > 0 ? 0 : vs->port;
        if (vs->fwmark > 0) {
                if ((fwd == FORWARDING_NAT || fwd == FORWARDING_FULLNAT) && rs->port != 0)
                        verr(v, at(v, &rs->port, &rs->loc),
                             "port: a fwmark service matches many ports; a %s real server with port %u would send "
                             "all of them to that one port (leave port out to keep the original port)",
                             forwarding_to_string(fwd), rs->port);
                else if ((fwd == FORWARDING_DR || fwd == FORWARDING_TUN) && rs->port != 0)
                        verr(v, at(v, &rs->port, &rs->loc), "port: %s forwarding cannot change the port; leave it out",
                             forwarding_to_string(fwd));
        } else if ((fwd == FORWARDING_DR || fwd == FORWARDING_TUN) && rs->port != vs->port)
                verr(v, at(v, &rs->port, &rs->loc),
                     "port: %s forwarding cannot change the port (real server port %u, service port %u)",
                     forwarding_to_string(fwd), rs->port, vs->port);

        if (has(v, &rs->tunnel_type) && fwd != FORWARDING_TUN)
                verr(v, at(v, &rs->tunnel_type, &rs->loc), "tunnel: only used with forwarding: tun");
        if (fwd == FORWARDING_TUN && rs->tunnel_type == TUNNEL_GUE && rs->tunnel_port == 0)
                verr(v, at(v, &rs->tunnel_type, &rs->loc), "tunnel: type gue needs a port");
        if (rs->tunnel_port != 0 && rs->tunnel_type != TUNNEL_GUE)
                verr(v, at(v, &rs->tunnel_port, &rs->loc), "port: only gue tunnels have a port");

        if (rs->snat_address.family != AF_UNSPEC) {
                if (fwd != FORWARDING_FULLNAT)
                        verr(v, at(v, &rs->snat_address, &rs->loc), "snat_address: only used with forwarding: fullnat");
                else if (family != AF_UNSPEC && rs->snat_address.family != family)
                        verr(v, at(v, &rs->snat_address, &rs->loc), "snat_address: %s is %s but the service is %s",
                             addr_str(a, sizeof a, &rs->snat_address), family_name(rs->snat_address.family),
                             family_name(family));
        }
        if (rs->upper_threshold > 0 && rs->lower_threshold > rs->upper_threshold)
                verr(v, at(v, &rs->lower_threshold, &rs->loc), "lower_threshold: %u is above upper_threshold %u",
                     rs->lower_threshold, rs->upper_threshold);
        if (!has(v, &rs->inhibit_on_failure))
                rs->inhibit_on_failure = vs->inhibit_on_failure;

        if (rs->check_ref && !config_find_check(v->c, rs->check_ref))
                verr(v, at(v, &rs->check_ref, &rs->loc), "check '%s' is not defined under checks:%s", rs->check_ref,
                     suggestion(buf, sizeof buf, rs->check_ref, check_names));

        if (rs->check) {
                CheckConf *ch = rs->check;
                char ap[ADDR_PORT_STR_MAX];
                conf_format_addr_port(ap, sizeof ap, &rs->address, rs->port);
                free(ch->name);
                if (asprintf(&ch->name, "%s/%s", strna(vs->id), ap) < 0)
                        ch->name = NULL;
                /* an inline check probes its real server every delay_loop unless told otherwise */
                if (ch->address.family == AF_UNSPEC && check_type_is_network(ch->type))
                        ch->address = rs->address;
                if (ch->port == 0 && check_type_is_network(ch->type) && ch->type != CHECK_PING)
                        ch->port = rs->port;
                if (!has(v, &ch->interval))
                        ch->interval = vs->delay_loop;
                _cleanup_free_ char *what = NULL;
                if (asprintf(&what, "check of real server %s", ap) >= 0)
                        validate_check(v, ch, what);
        }
}

static void validate_virtual_server(VCtx *v, VirtualServerConf *vs, char **check_names) {
        char a[INET6_ADDRSTRLEN];

        if (vs->fwmark > 0) {
                if (vs->address.family != AF_UNSPEC)
                        verr(v, at(v, &vs->address, &vs->loc), "address: a fwmark service has no address (use family: inet6 for IPv6)");
                if (has(v, &vs->port))
                        verr(v, at(v, &vs->port, &vs->loc), "port: a fwmark service has no port");
        } else {
                if (has(v, &vs->fwmark_family))
                        verr(v, at(v, &vs->fwmark_family, &vs->loc), "family: only for fwmark services (an address has its family)");
                /* a missing port was reported by the loader */
                if (vs->port == 0 && has(v, &vs->port) && vs->persistence_timeout == 0)
                        verr(v, at(v, &vs->port, &vs->loc), "port: 0 (all ports) needs persistence");
        }
        make_vs_id(vs);
        int family = vs_family(vs);

        if (vs->scheduler) {
                STRV_FOREACH(f, vs->flags) {
                        if ((strneq(*f, "sh-", 3) && !streq(vs->scheduler, "sh")) ||
                            (strneq(*f, "mh-", 3) && !streq(vs->scheduler, "mh")))
                                verr(v, at(v, f, &vs->loc), "flags: %s needs scheduler %.2s", *f, *f);
                }
        }

        bool fullnat = vs->forwarding == FORWARDING_FULLNAT;
        for (size_t j = 0; j < vs->n_real_servers; j++)
                fullnat = fullnat || vs->real_servers[j].forwarding == FORWARDING_FULLNAT;
        if (vs->snat_address.family != AF_UNSPEC) {
                if (!fullnat)
                        verr(v, at(v, &vs->snat_address, &vs->loc), "snat_address: only used with forwarding: fullnat");
                else if (family != AF_UNSPEC && vs->snat_address.family != family)
                        verr(v, at(v, &vs->snat_address, &vs->loc), "snat_address: %s is %s but the service is %s",
                             addr_str(a, sizeof a, &vs->snat_address), family_name(vs->snat_address.family),
                             family_name(family));
        }

        if (!has(v, &vs->persistence_prefix))
                vs->persistence_prefix = family == AF_INET6 ? 128 : 32;
        else if (family == AF_INET && vs->persistence_prefix > 32)
                verr(v, at(v, &vs->persistence_prefix, &vs->loc), "prefix: %u is longer than an IPv4 address",
                     vs->persistence_prefix);
        if (vs->delay_loop == 0)
                verr(v, at(v, &vs->delay_loop, &vs->loc), "delay_loop: must be greater than 0");

        if (vs->has_sorry_server) {
                if (family != AF_UNSPEC && vs->sorry_server.family != family)
                        verr(v, at(v, &vs->sorry_server, &vs->loc), "sorry_server: %s is %s but the service is %s",
                             addr_str(a, sizeof a, &vs->sorry_server), family_name(vs->sorry_server.family),
                             family_name(family));
                if (vs->sorry_port == 0 && vs->fwmark == 0)
                        vs->sorry_port = vs->port;
        }

        uint64_t total = 0;
        for (size_t j = 0; j < vs->n_real_servers; j++) {
                validate_real_server(v, vs, &vs->real_servers[j], check_names);
                total += (uint64_t) vs->real_servers[j].weight;
        }
        if (vs->n_real_servers > 0 && vs->quorum > total)
                vwarn(v, at(v, &vs->quorum, &vs->loc), "quorum: %u can never be reached (the weights add up to %" PRIu64 ")",
                      vs->quorum, total);

        DupKey *keys = calloc(MAX(vs->n_real_servers, (size_t) 1), sizeof(DupKey));
        if (!keys)
                return;
        for (size_t j = 0; j < vs->n_real_servers; j++) {
                RealServerConf *rs = &vs->real_servers[j];
                char ap[ADDR_PORT_STR_MAX];
                keys[j].idx = j;
                if (rs->address.family != AF_UNSPEC) {
                        conf_format_addr_port(ap, sizeof ap, &rs->address, rs->port);
                        keys[j].key = strdup(ap);
                }
        }
        find_dups(v, keys, vs->n_real_servers, dup_rs_cb, vs);
        free(keys);
}

static void validate_virtual_servers(VCtx *v) {
        Config *c = v->c;
        _cleanup_free_ char **check_names = names_of_checks(c);

        for (size_t i = 0; i < c->n_virtual_servers; i++)
                validate_virtual_server(v, &c->virtual_servers[i], check_names);

        DupKey *keys = calloc(MAX(c->n_virtual_servers, (size_t) 1), sizeof(DupKey));
        if (!keys)
                return;
        for (size_t i = 0; i < c->n_virtual_servers; i++) {
                keys[i].idx = i;
                keys[i].key = c->virtual_servers[i].id ? strdup(c->virtual_servers[i].id) : NULL;
        }
        find_dups(v, keys, c->n_virtual_servers, dup_vs_cb, NULL);
        free(keys);
}

/* ---- ipvs, notify ---- */

static void validate_ipvs(VCtx *v) {
        IpvsGlobalConf *g = &v->c->ipvs;
        const ConfLoc file = { .file = v->c->files[0] };
        char buf[128];

        if (g->sync_instance) {
                const VrrpInstanceConf *in = config_find_instance(v->c, g->sync_instance);
                _cleanup_free_ char **inames = names_of_instances(v->c);
                if (!in)
                        verr(v, at(v, &g->sync_instance, &file), "sync_daemon: instance '%s' is not defined under vrrp.instances:%s",
                             g->sync_instance, suggestion(buf, sizeof buf, g->sync_instance, inames));
                else {
                        if (!g->sync_interface[0])
                                strcpy(g->sync_interface, in->interface);
                        if (!has(v, &g->sync_id))
                                g->sync_id = in->virtual_router_id;
                }
        }
        /* sync_daemon without instance: the loader reported the missing key */
        if (g->reconcile_interval == 0)
                verr(v, at(v, &g->reconcile_interval, &file), "reconcile_interval: must be greater than 0");
}

static bool inline_check_exists(const Config *c, const char *name) {
        for (size_t i = 0; i < c->n_virtual_servers; i++)
                for (size_t j = 0; j < c->virtual_servers[i].n_real_servers; j++) {
                        const CheckConf *ch = c->virtual_servers[i].real_servers[j].check;
                        if (ch && ch->name && streq(ch->name, name))
                                return true;
                }
        return false;
}

static void validate_notify(VCtx *v) {
        Config *c = v->c;
        char buf[128];

        for (size_t i = 0; i < c->n_notify; i++) {
                NotifyConf *n = &c->notify[i];
                if (!n->name)
                        continue;
                const ConfLoc *nl = at(v, &n->name, &n->loc);
                bool is_inst = config_find_instance(c, n->name), is_group = config_find_sync_group(c, n->name),
                     is_check = config_find_check(c, n->name) || inline_check_exists(c, n->name);

                if (!has(v, &n->kind)) {
                        /* map form: the name says what it is */
                        if (is_inst)
                                n->kind = NOTIFY_INSTANCE;
                        else if (is_group)
                                n->kind = NOTIFY_GROUP;
                        else if (is_check)
                                n->kind = NOTIFY_CHECK;
                        else {
                                _cleanup_free_ char **inames = names_of_instances(c);
                                verr(v, nl, "notify: '%s' is not an instance, sync group or check%s", n->name,
                                     suggestion(buf, sizeof buf, n->name, inames));
                                continue;
                        }
                } else if ((n->kind == NOTIFY_INSTANCE && !is_inst) || (n->kind == NOTIFY_GROUP && !is_group) ||
                           (n->kind == NOTIFY_CHECK && !is_check)) {
                        verr(v, nl, "notify: %s '%s' is not defined", notify_kind_table[n->kind], n->name);
                        continue;
                }
                n->group = n->kind == NOTIFY_GROUP;

                char **vrrp_scripts[] = { n->notify_master, n->notify_backup, n->notify_fault, n->notify_stop };
                char ***vrrp_fields[] = { &n->notify_master, &n->notify_backup, &n->notify_fault, &n->notify_stop };
                const char *vrrp_names[] = { "notify_master", "notify_backup", "notify_fault", "notify_stop" };
                for (size_t j = 0; j < ELEMENTSOF(vrrp_scripts); j++)
                        if (vrrp_scripts[j] && n->kind == NOTIFY_CHECK)
                                verr(v, at(v, vrrp_fields[j], &n->loc), "%s: only for instances and sync groups (checks have notify_up/notify_down)",
                                     vrrp_names[j]);
                if (n->notify_up && n->kind != NOTIFY_CHECK)
                        verr(v, at(v, &n->notify_up, &n->loc), "notify_up: only for checks");
                if (n->notify_down && n->kind != NOTIFY_CHECK)
                        verr(v, at(v, &n->notify_down, &n->loc), "notify_down: only for checks");

                char **all[] = { n->notify, n->notify_master, n->notify_backup, n->notify_fault,
                                 n->notify_stop, n->notify_up, n->notify_down };
                bool any = false;
                for (size_t j = 0; j < ELEMENTSOF(all); j++) {
                        if (!all[j])
                                continue;
                        any = true; /* an empty list was reported by the loader */
                        if (!all[j][0])
                                continue;
                        if (all[j][0][0] != '/')
                                verr(v, at(v, &all[j][0], &n->loc), "'%s' must be an absolute path", all[j][0]);
                }
                if (!any)
                        verr(v, &n->loc, "notify: no script given for '%s'", n->name);
                if (n->timeout == 0)
                        verr(v, at(v, &n->timeout, &n->loc), "timeout: must be greater than 0");
        }
}

void config_validate(Config *c, ConfLocs *locs, ConfDiags *d) {
        VCtx v = { .c = c, .locs = locs, .d = d };

        validate_vrrp(&v);
        validate_checks(&v);
        validate_virtual_servers(&v);
        validate_ipvs(&v);
        validate_notify(&v);
}
