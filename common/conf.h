/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The typed configuration model (DESIGN.md §5). Pure code: conf-load.c turns
 * YAML (libyaml) into these structs, conf-validate.c checks semantics, and
 * conf-dump.c writes normalized YAML back. Every node remembers where it came
 * from (ConfLoc) so each daemon can report FILE:LINE:COL for runtime errors too. */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "addr-util.h"
#include "time-util.h"

typedef struct ConfLoc {
        const char *file; /* owned by Config.files */
        unsigned line;    /* 1-based */
        unsigned col;     /* 1-based */
} ConfLoc;

/* YAML spelling (the full schema, with every key, is tests/fixtures/full.yaml):
 * keys are the field names below unless a comment says "YAML: ...". Durations
 * are "500ms", "3s", "1m30s" or integers (seconds); booleans true/false/yes/no/
 * on/off; integers are decimal only. Unknown keys, duplicate keys (also
 * duplicate instance or check names) and nesting deeper than 32 levels are
 * errors. Every default is set in one place: the *_defaults() functions at the
 * top of conf-load.c; derived values (marked "validation") in conf-validate.c. */

/* ---- diagnostics ---- */

typedef struct ConfDiag {
        ConfLoc loc;
        bool warning;
        char *message;
} ConfDiag;

typedef struct ConfDiags {
        ConfDiag *items;
        size_t n;
        size_t n_errors;
} ConfDiags;

void conf_diag_add(ConfDiags *d, const ConfLoc *loc, bool warning, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
void conf_diags_free(ConfDiags *d);
/* "FILE:LINE:COL: error: message\n" for each, in file order. */
void conf_diags_print(const ConfDiags *d, FILE *f);
/* The same as one string (for D-Bus error messages). Caller frees. */
char *conf_diags_to_string(const ConfDiags *d);

/* ---- vrrp ---- */

typedef enum VrrpInitialState {
        VRRP_INITIAL_BACKUP,
        VRRP_INITIAL_MASTER,
} VrrpInitialState;

typedef enum FencePolicy {
        FENCE_POLICY_NONE,
        FENCE_POLICY_BEST_EFFORT,
        FENCE_POLICY_REQUIRED,
} FencePolicy;

typedef enum VipLeaseMode {
        VIP_LEASE_AUTO,
        VIP_LEASE_OFF,
        VIP_LEASE_FIXED, /* vip_lease: <duration> */
} VipLeaseMode;

typedef enum OnMissing {
        ON_MISSING_FAULT,
        ON_MISSING_IGNORE,
} OnMissing;

typedef struct VipConf {
        ConfLoc loc;
        InAddrPrefix addr;
        char device[IFNAMSIZ];  /* "" = the instance's interface */
        char label[IFNAMSIZ];   /* IPv4 only, "" = none */
        char *scope;            /* "global" (default), "host", "link", "site" */
        bool has_broadcast;
        struct in_addr broadcast;
} VipConf;

typedef struct TrackInterfaceConf {
        ConfLoc loc;
        char name[IFNAMSIZ];
        bool has_weight;        /* no weight: down = FAULT */
        int weight;             /* -254..254 */
} TrackInterfaceConf;

typedef struct TrackCheckConf {
        ConfLoc loc;
        char *name;             /* a key of checks: */
        bool has_weight;
        int weight;
} TrackCheckConf;

typedef struct FencingConf {
        FencePolicy policy;      /* default none; best-effort when agents or commands are given without a policy */
        usec_t timeout;          /* default 5s */
        char **agents;           /* bus names implementing org.vigil.FenceAgent1 */
        char **commands;         /* names of exec checks with on_demand: true */
        ConfLoc loc;
} FencingConf;

typedef struct GarpConf {
        unsigned repeat;         /* GARPs/NAs sent on becoming master, default 5 */
        usec_t interval;         /* between them, default 0 (back to back) */
        usec_t refresh;          /* periodic re-announce while master, 0 = off */
        unsigned refresh_repeat; /* default 1 */
        usec_t master_delay;     /* second burst after becoming master, default 5s (keepalived garp_master_delay) */
} GarpConf;

typedef struct VrrpInstanceConf {
        ConfLoc loc;
        char *name;
        char interface[IFNAMSIZ];
        uint8_t virtual_router_id; /* 1..255 */
        uint8_t priority;          /* 1..255, 255 = address owner; default 100 */
        VrrpInitialState initial_state;
        int version;               /* 2 or 3, default 3 */
        usec_t advert_interval;    /* default 1s */
        bool preempt;              /* default true */
        usec_t preempt_delay;
        bool accept;               /* accept mode (RFC 5798 §6.1), default false (vrrp_strict style true is opt-in) */
        char *auth_pass;           /* version 2 PASS authentication, ≤ 8 bytes; NULL = none.
                                    * YAML: authentication: {type: pass, password: "..."} */
        bool unicast;              /* YAML: unicast: {source, peers: [...]} (present = unicast) */
        InAddrPrefix unicast_source; /* family AF_UNSPEC: the interface's primary address */
        InAddrPrefix *unicast_peers;
        size_t n_unicast_peers;
        int family;                /* AF_INET or AF_INET6: derived from the VIPs */
        VipConf *virtual_addresses; /* YAML: "ADDR/LEN" or {address, device, label, scope, broadcast} */
        size_t n_virtual_addresses;
        VipConf *excluded_addresses; /* managed but not carried in adverts */
        size_t n_excluded_addresses;
        TrackInterfaceConf *track_interfaces;
        size_t n_track_interfaces;
        TrackCheckConf *track_checks;
        size_t n_track_checks;
        OnMissing on_missing;      /* track check whose checker is absent; default fault. YAML: track.on_missing */
        FencingConf fencing;
        VipLeaseMode vip_lease;    /* YAML: vip_lease: auto | off | <duration> */
        usec_t vip_lease_duration; /* with VIP_LEASE_FIXED */
        bool use_vmac;
        char vmac_interface[IFNAMSIZ]; /* "" = vrrp.<vrid> / vrrp6.<vrid> */
        GarpConf garp;
        char *sync_group;          /* back-reference, filled by validation */
} VrrpInstanceConf;

typedef struct SyncGroupConf {
        ConfLoc loc;
        char *name;
        char **members;
} SyncGroupConf;

/* ---- checks ---- */

typedef enum CheckType {
        CHECK_TCP,
        CHECK_HTTP,
        CHECK_HTTPS,
        CHECK_SMTP,
        CHECK_DNS,
        CHECK_UDP,
        CHECK_PING,
        CHECK_EXEC,
        CHECK_FILE,
        _CHECK_TYPE_MAX,
} CheckType;

const char *check_type_to_string(CheckType t);
int check_type_from_string(const char *s);

typedef enum CheckInitialState {
        CHECK_INITIAL_UP,      /* keepalived's behaviour: real servers start in rotation */
        CHECK_INITIAL_DOWN,
        CHECK_INITIAL_UNKNOWN,
} CheckInitialState;

typedef struct StatusRange {
        uint16_t lo, hi;
} StatusRange;

typedef struct CheckConf {
        ConfLoc loc;
        char *name;              /* key under checks:, or "<vs id>/<rs addr:port>" for an inline real-server check,
                                  * e.g. "tcp:10.0.0.1:80/10.0.1.1:8080", "fwmark:1/[2001:db8::1]:0" */
        CheckType type;
        bool inline_check;       /* defined inside a real server */

        /* target: defaults to the real server for inline checks */
        InAddrPrefix address;    /* family AF_UNSPEC = unset */
        uint16_t port;           /* inline: the real server's port; else http 80, https 443, smtp 25, dns 53
                                  * (validation); tcp/udp must give one; ping has none */
        InAddrPrefix bind_address;
        char bind_interface[IFNAMSIZ];
        uint32_t fwmark;         /* SO_MARK on probes, 0 = none */

        /* scheduling */
        usec_t interval;         /* delay_loop; default 3s for named checks, the virtual server's delay_loop inline */
        usec_t timeout;          /* overall probe timeout, default 5s. YAML: timeout or connect_timeout */
        unsigned retry;          /* extra attempts before a failure counts, default 0 (keepalived retry) */
        usec_t delay_before_retry; /* default 1s */
        unsigned fall;           /* consecutive failures to go down, default 1 */
        unsigned rise;           /* consecutive successes to go up, default 1 */
        usec_t warmup;           /* max random initial delay, default = interval */
        CheckInitialState initial_state;
        bool on_demand;          /* only run via RunFence/RunNow */
        int weight;              /* weight reported while up (track/dynamic), default 0 */

        /* http / https */
        char *method;            /* default GET */
        char *path;              /* default / */
        char *virtualhost;       /* Host: header */
        int http_version;        /* 10 or 11, default 11 */
        StatusRange *status;     /* default 200-299. YAML: 200, "200-299", or a list of those */
        size_t n_status;
        char *digest;            /* lowercase hex MD5 of the body */
        char *regex;             /* PCRE2 pattern on the body */
        uint64_t max_body;       /* bytes read at most, default 1 MiB. YAML: bytes, or 64K / 1M / 1GiB */
        char **headers;          /* extra "Name: value" lines. YAML: a list of those, or {Name: value} */

        /* https */
        bool tls_verify;         /* default false (keepalived does not verify) */
        char *sni;               /* default virtualhost, else none */
        char *ca_file;
        char *cert_file;
        char *key_file;

        /* smtp */
        char *helo_name;         /* default the host name */

        /* dns */
        char *query_name;        /* default "." */
        char *query_type;        /* A AAAA NS MX TXT SOA CNAME PTR SRV; default SOA */
        bool dns_tcp;            /* YAML: use_tcp */
        int expect_rcode;        /* default 0 (NOERROR); YAML: 0..15 or NOERROR FORMERR SERVFAIL NXDOMAIN NOTIMP REFUSED */
        char *expect_answer;     /* an address or name that must appear in the answer */

        /* udp */
        char *payload;           /* sent as is (YAML double-quoted escapes \n \r \t \xHH are decoded by YAML) */
        char *expect;            /* regex the reply must match; NULL = any reply */
        bool require_reply;      /* default false: no ICMP error within timeout = up */

        /* exec */
        char **command;          /* argv, command[0] an absolute path to an executable regular file
                                  * (checked at load). YAML: a list, or a string = one argv[0]
                                  * (never split on spaces: use a list, or shell: true) */
        bool shell;              /* run via /bin/sh -c command[0] */
        bool dynamic;            /* exit 2..255 → weight exit-2 (misc_dynamic) */
        uint64_t max_output;     /* bytes of stdout/stderr logged, default 4 KiB */

        /* file */
        char *file_path;         /* YAML: path (of a check with type: file) */
        int file_default_weight; /* when the file is missing or unparsable, default 0. YAML: default_weight */
        bool file_down_on_zero;  /* weight 0 read from file = down, default true. YAML: down_on_zero */
} CheckConf;

/* ---- virtual servers ---- */

typedef enum Forwarding {
        FORWARDING_INHERIT = 0,  /* real server only: the virtual server's */
        FORWARDING_DR,
        FORWARDING_NAT,
        FORWARDING_TUN,
        FORWARDING_FULLNAT,
        _FORWARDING_MAX,
} Forwarding;

const char *forwarding_to_string(Forwarding f);
int forwarding_from_string(const char *s);

typedef enum TunnelType {
        TUNNEL_IPIP,
        TUNNEL_GUE,
        TUNNEL_GRE,
} TunnelType;

typedef enum IpvsProtocol {
        IPVS_PROTO_TCP,
        IPVS_PROTO_UDP,
        IPVS_PROTO_SCTP,
} IpvsProtocol;

const char *ipvs_protocol_to_string(IpvsProtocol p);
int ipvs_protocol_from_string(const char *s);

typedef struct RealServerConf {
        ConfLoc loc;
        InAddrPrefix address;
        uint16_t port;           /* 0 with fwmark services; default the service port (filled by validation) */
        int weight;              /* 0..65535, default 1 */
        Forwarding forwarding;   /* INHERIT by default */
        TunnelType tunnel_type;  /* YAML: tunnel: {type: ipip|gue|gre, port} (forwarding tun only) */
        uint16_t tunnel_port;    /* gue */
        InAddrPrefix snat_address; /* fullnat override */
        uint32_t upper_threshold;
        uint32_t lower_threshold;
        bool inhibit_on_failure; /* down → weight 0 instead of removal; default true */
        CheckConf *check;        /* inline check, owned; NULL = none (always up) */
        char *check_ref;         /* or the name of a named check. YAML: check: {type: ...} or check: "name" */
} RealServerConf;

typedef struct VirtualServerConf {
        ConfLoc loc;
        char *id;                /* "tcp:192.168.1.1:80", "udp:[2001:db8::1]:53", "fwmark:1", "fwmark6:1"
                                  * (IPv6 fwmark service), stable key; filled by validation */
        InAddrPrefix address;    /* family AF_UNSPEC with fwmark */
        uint16_t port;
        uint32_t fwmark;
        int fwmark_family;       /* AF_INET default, AF_INET6 with family: inet6 */
        IpvsProtocol protocol;
        char *scheduler;         /* default wlc */
        char **flags;            /* sh-fallback sh-port mh-fallback mh-port one-packet */
        Forwarding forwarding;   /* default nat */
        InAddrPrefix snat_address; /* fullnat: default the egress interface's address */
        usec_t persistence_timeout; /* 0 = not persistent. YAML: persistence: {timeout, netmask | prefix} */
        uint8_t persistence_prefix;  /* netmask (v4, as prefix) or v6 prefix length; default 32/128 */
        usec_t delay_loop;       /* default 6s; inherited by inline checks */
        unsigned quorum;         /* minimum sum of weights of live real servers, default 1 */
        unsigned hysteresis;
        bool has_sorry_server;   /* YAML: sorry_server: "ADDR:PORT" or {address, port, forwarding} */
        InAddrPrefix sorry_server;
        uint16_t sorry_port;     /* default the service's port */
        Forwarding sorry_forwarding; /* INHERIT = the service's */
        bool inhibit_on_failure; /* default for its real servers, default true */
        RealServerConf *real_servers;
        size_t n_real_servers;
} VirtualServerConf;

/* ---- ipvs / zookeeper / notify ---- */

typedef struct IpvsGlobalConf {
        bool own_table;          /* true: remove services not in the config too. default false */
        char *sync_instance;     /* follow this VRRP instance for the sync daemon role.
                                  * YAML: sync_daemon: {instance, interface, sync_id}; interface and
                                  * sync_id default to the instance's interface and virtual_router_id */
        char sync_interface[IFNAMSIZ];
        uint8_t sync_id;
        usec_t timeout_tcp, timeout_tcpfin, timeout_udp; /* 0 = leave the kernel's. YAML: timeouts: {tcp, tcpfin, udp} */
        usec_t reconcile_interval; /* periodic re-read of the kernel table, default 30s */
} IpvsGlobalConf;

typedef struct ZooKeeperConf {
        char *hosts;             /* "h1:2181,h2:2181"; YAML: that string or a list of "host:port" */
        char *root;              /* default /vigil */
        usec_t session_timeout;  /* default 6s */
        ConfLoc loc;
        bool present;
} ZooKeeperConf;

/* What a notify entry follows (YAML key instance:, group: or check:). */
typedef enum NotifyKind {
        NOTIFY_INSTANCE,
        NOTIFY_GROUP,
        NOTIFY_CHECK,            /* a named check or an inline one ("<vs id>/<rs addr:port>") */
} NotifyKind;

typedef struct NotifyConf {
        /* keepalived-compatible notify scripts, by instance or group name.
         * YAML: a list of {instance|group|check: NAME, notify..., timeout}, or a map
         * NAME → {notify..., timeout} (NAME looked up as instance, then group, then
         * check). Each script is a list (argv) or a string (argv[0]), absolute. */
        ConfLoc loc;
        char *name;              /* instance, sync group or check/real-server name */
        bool group;              /* same as kind == NOTIFY_GROUP (kept for compatibility) */
        NotifyKind kind;         /* added by the config model: group alone cannot tell an instance from a check */
        char **notify;           /* generic: args appended: TYPE NAME STATE PRIORITY */
        char **notify_master;
        char **notify_backup;
        char **notify_fault;
        char **notify_stop;
        char **notify_up;        /* real servers / checks */
        char **notify_down;
        usec_t timeout;          /* default 30s */
} NotifyConf;

typedef struct GlobalConf {
        char *router_id;         /* default the host name */
        bool vrrp_strict;
} GlobalConf;

typedef struct Config {
        char **files;            /* every file read (for ConfLoc.file), first = main */
        GlobalConf global;
        VrrpInstanceConf *instances;
        size_t n_instances;
        SyncGroupConf *sync_groups;
        size_t n_sync_groups;
        CheckConf *checks;       /* named checks (not inline ones) */
        size_t n_checks;
        VirtualServerConf *virtual_servers;
        size_t n_virtual_servers;
        IpvsGlobalConf ipvs;
        ZooKeeperConf zookeeper;
        NotifyConf *notify;
        size_t n_notify;
} Config;

/* Which sections a consumer cares about, for --dump-config. */
typedef enum ConfSection {
        CONF_SECTION_GLOBAL = 1 << 0,
        CONF_SECTION_VRRP = 1 << 1,
        CONF_SECTION_CHECKS = 1 << 2,
        CONF_SECTION_VIRTUAL_SERVERS = 1 << 3,
        CONF_SECTION_IPVS = 1 << 4,
        CONF_SECTION_ZOOKEEPER = 1 << 5,
        CONF_SECTION_NOTIFY = 1 << 6,
        CONF_SECTION_ALL = 0x7f,
} ConfSection;

/* Parse and validate. On success returns 0 and *ret (diags may still hold warnings).
 * On failure returns -EINVAL (or -errno for I/O), *ret untouched, and every problem in diags. */
int config_load_file(const char *path, Config **ret, ConfDiags *diags);
/* The same from memory; name is used in locations. */
int config_load_string(const char *name, const char *data, size_t len, Config **ret, ConfDiags *diags);
Config *config_free(Config *c);
static inline void config_freep(Config **c) {
        if (*c)
                config_free(*c);
}
#define _cleanup_config_ __attribute__((cleanup(config_freep)))

/* Normalized YAML of the selected sections, every default made explicit. */
int config_dump(const Config *c, ConfSection sections, FILE *f);

/* Lookups */
const VrrpInstanceConf *config_find_instance(const Config *c, const char *name);
const CheckConf *config_find_check(const Config *c, const char *name);
const SyncGroupConf *config_find_sync_group(const Config *c, const char *name);
/* Effective values with inheritance applied. */
Forwarding real_server_forwarding(const VirtualServerConf *vs, const RealServerConf *rs);
uint16_t real_server_port(const VirtualServerConf *vs, const RealServerConf *rs);
