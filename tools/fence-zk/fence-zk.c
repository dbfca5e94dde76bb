/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vigil-fence-zk: org.vigil.FenceAgent1 backed by a ZooKeeper ensemble.
 *
 * A node may be MASTER for an instance only while it holds that instance's
 * lock: the lowest ephemeral sequential node under ROOT/INSTANCE (recipe and
 * lease arithmetic in fence-lock.h). Fence() answers ok only after a fresh
 * children listing from the server shows our node lowest; Release() deletes
 * it; when the server has not answered for revoke_after = t/2 the agent
 * emits Revoked() for every lock it holds, before the session (timeout t)
 * can expire and let a peer acquire the lock.
 *
 * Threads: zookeeper_mt calls the watcher and completions on its own
 * completion thread. Those callbacks only copy their results into a ZkMsg
 * and post it to a Mailbox (mutex + eventfd); everything else — the lock
 * state, timers, sd-bus — lives on the sd-event thread. */

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <zookeeper/zookeeper.h>

#include "cleanup-libs.h"
#include "daemon.h"
#include "fence-lock.h"
#include "log.h"
#include "macro.h"
#include "mailbox.h"

#define AGENT_PATH "/org/vigil/FenceAgent1"
#define AGENT_INTERFACE "org.vigil.FenceAgent1"
#define INSTANCE_PREFIX "/org/vigil/FenceZk1/instance"
#define INSTANCE_INTERFACE "org.vigil.FenceZk1.Instance"
#define MAX_INSTANCES 256
#define MAX_PENDING 16          /* Fence calls waiting per instance */
#define DEFAULT_FENCE_TIMEOUT (5 * USEC_PER_SEC)
#define RECONNECT_DELAY (500 * USEC_PER_MSEC)

static inline void *mfree(void *p) {
        free(p);
        return NULL;
}

/* ---- messages from the ZooKeeper thread ---- */

typedef enum ZkOp {
        OP_PARENT,
        OP_CREATE,
        OP_CHILDREN,
        OP_GET_HOLDER,
        OP_DELETE,
        OP_HEARTBEAT,
} ZkOp;

typedef enum MsgKind {
        MSG_SESSION,
        MSG_WATCH,
        MSG_COMPLETION,
} MsgKind;

typedef struct ZkMsg {
        MailboxItem item; /* first: a MailboxItem* is a ZkMsg* */
        Mailbox *mb;
        MsgKind kind;
        uint64_t gen;     /* which zhandle: messages of a closed one are dropped */
        ZkOp op;
        int rc;
        int state;
        int type;
        int recv_timeout; /* ms, with session events */
        usec_t sent;      /* CLOCK_MONOTONIC when the request was sent */
        char *instance;
        char *path;
        char **children;
        size_t n_children;
        char *data;
        size_t data_len;
} ZkMsg;

static void zkmsg_free(ZkMsg *m) {
        if (!m)
                return;
        free(m->instance);
        free(m->path);
        for (size_t i = 0; i < m->n_children; i++)
                free(m->children[i]);
        free(m->children);
        free(m->data);
        free(m);
}

static void zkmsg_free_item(MailboxItem *it) {
        zkmsg_free((ZkMsg *) it);
}

typedef struct HandleCtx {
        Mailbox *mb;
        uint64_t gen;
} HandleCtx;

/* ZooKeeper thread. */
static void zk_watcher(zhandle_t *zh, int type, int state, const char *path, void *ctx) {
        HandleCtx *h = ctx;
        ZkMsg *m = calloc(1, sizeof *m);
        if (!m)
                return; /* the lease timer covers a lost session event */
        m->kind = type == ZOO_SESSION_EVENT ? MSG_SESSION : MSG_WATCH;
        m->gen = h->gen;
        m->type = type;
        m->state = state;
        m->recv_timeout = zoo_recv_timeout(zh);
        m->path = path ? strdup(path) : NULL;
        mailbox_post(h->mb, &m->item);
}

/* ZooKeeper thread: completions get the ZkMsg we allocated when sending. */
static void post_done(const void *data, int rc) {
        ZkMsg *m = (ZkMsg *) data;
        m->rc = rc;
        mailbox_post(m->mb, &m->item);
}

static void on_string_done(int rc, const char *value, const void *data) {
        ZkMsg *m = (ZkMsg *) data;
        if (rc == ZOK && value && !(m->data = strdup(value)))
                rc = ZSYSTEMERROR;
        post_done(data, rc);
}

static void on_strings_done(int rc, const struct String_vector *strings, const void *data) {
        ZkMsg *m = (ZkMsg *) data;
        if (rc == ZOK && strings && strings->count > 0) {
                m->children = calloc((size_t) strings->count + 1, sizeof(char *));
                if (!m->children)
                        rc = ZSYSTEMERROR;
                for (int i = 0; m->children && i < strings->count; i++) {
                        if (!(m->children[i] = strdup(strings->data[i]))) {
                                rc = ZSYSTEMERROR;
                                break;
                        }
                        m->n_children++;
                }
        }
        post_done(data, rc);
}

static void on_data_done(int rc, const char *value, int value_len, const struct Stat *stat, const void *data) {
        ZkMsg *m = (ZkMsg *) data;
        if (rc == ZOK && value && value_len > 0) {
                size_t n = MIN((size_t) value_len, (size_t) FENCE_NODE_DATA_MAX);
                if ((m->data = malloc(n)))
                        memcpy(m->data, value, n), m->data_len = n;
        }
        post_done(data, rc);
}

static void on_void_done(int rc, const void *data) {
        post_done(data, rc);
}

static void on_stat_done(int rc, const struct Stat *stat, const void *data) {
        post_done(data, rc);
}

static pthread_mutex_t zk_log_lock = PTHREAD_MUTEX_INITIALIZER;
static RateLimit zk_log_rl = RATELIMIT_INIT(10 * USEC_PER_SEC, 20);

/* ZooKeeper threads: the client library's own log lines, through ours and
 * rate limited (with an unreachable ensemble it logs every retry). */
static void zk_log(const char *message) {
        const char *p = strstr(message, "ZOO_");
        int level = !p ? LOG_DEBUG : strneq(p, "ZOO_ERROR", 9) ? LOG_WARNING : strneq(p, "ZOO_WARN", 8) ? LOG_NOTICE : LOG_DEBUG;
        bool ok;

        if (log_get_max_level() < level)
                return;
        pthread_mutex_lock(&zk_log_lock);
        ok = ratelimit_below(&zk_log_rl);
        pthread_mutex_unlock(&zk_log_lock);
        if (ok)
                log_full(level, "zookeeper client: %.*s", (int) strcspn(p ?: message, "\n"), p ?: message);
}

/* ---- agent state (sd-event thread only) ---- */

typedef struct Agent Agent;
typedef struct Inst Inst;

typedef struct PendingFence {
        Inst *inst;
        sd_bus_message *m;
        sd_event_source *timer;
        usec_t started;
        usec_t budget;
} PendingFence;

struct Inst {
        Agent *a;
        char *name;
        char *object_path;
        char *node;            /* full path of our lock node, NULL when we have none we know of */
        bool held;
        bool children_inflight, children_again, create_inflight;
        char *holder_node;     /* child name of the current holder */
        char *holder_desc;     /* its data, printable */
        char *owner;           /* unique bus name of the caller the lock was granted to */
        PendingFence *calls[MAX_PENDING];
        size_t n_calls;
};

struct Agent {
        Daemon *d;
        Mailbox mb;
        sd_event_source *mb_source;
        zhandle_t *zh;
        HandleCtx *hctx;
        uint64_t gen;
        bool connected;
        const char *session_state;
        uint64_t session_id;
        usec_t t;              /* negotiated session timeout (requested until connected) */
        usec_t last_contact;   /* L: send time of the last request the server answered */
        sd_event_source *lease_timer, *heartbeat_timer, *reconnect_timer, *stale_timer;
        char *hosts, *root;
        usec_t requested_timeout;
        char *node_data;
        Inst *insts[MAX_INSTANCES];
        size_t n_insts;
        RateLimit rl;
};

static Agent agent;

static const char *zk_state_name(int state) {
        if (state == ZOO_CONNECTED_STATE)
                return "connected";
        if (state == ZOO_CONNECTING_STATE || state == ZOO_ASSOCIATING_STATE)
                return "connecting";
        if (state == ZOO_EXPIRED_SESSION_STATE)
                return "expired";
        if (state == ZOO_AUTH_FAILED_STATE)
                return "auth-failed";
        if (state == ZOO_READONLY_STATE)
                return "read-only";
        return "disconnected";
}

/* The server answered this request (the session was alive when it processed it). */
static bool server_answered(int rc) {
        return rc == ZOK || rc == ZNONODE || rc == ZNODEEXISTS || rc == ZNOTEMPTY || rc == ZBADVERSION ||
               rc == ZNOAUTH || rc == ZNOCHILDRENFOREPHEMERALS;
}

static Inst *inst_find(Agent *a, const char *name) {
        for (size_t i = 0; i < a->n_insts; i++)
                if (streq(a->insts[i]->name, name))
                        return a->insts[i];
        return NULL;
}

static Inst *inst_get(Agent *a, const char *name) {
        Inst *in = inst_find(a, name);
        if (in || a->n_insts >= MAX_INSTANCES)
                return in;
        in = calloc(1, sizeof *in);
        if (!in)
                return NULL;
        in->a = a;
        if (!(in->name = strdup(name)) || sd_bus_path_encode(INSTANCE_PREFIX, name, &in->object_path) < 0) {
                free(in->name);
                free(in);
                return NULL;
        }
        a->insts[a->n_insts++] = in;
        if (a->d && a->d->bus)
                (void) sd_bus_emit_object_added(a->d->bus, in->object_path);
        return in;
}

static void inst_set_owner(Inst *in, sd_bus_message *m) {
        const char *sender = m ? sd_bus_message_get_sender(m) : NULL;
        char *o = sender ? strdup(sender) : NULL;
        free(in->owner);
        in->owner = o;
}

static void inst_props_changed(Inst *in) {
        if (in->a->d && in->a->d->bus)
                (void) sd_bus_emit_properties_changed(in->a->d->bus, in->object_path, INSTANCE_INTERFACE, "Held",
                                                      "Holder", "Node", NULL);
}

static char *inst_dir(Agent *a, const Inst *in) {
        char *s;
        return asprintf(&s, "%s/%s", streq(a->root, "/") ? "" : a->root, in->name) < 0 ? NULL : s;
}

static ZkMsg *op_new(Agent *a, ZkOp op, const Inst *in) {
        ZkMsg *m = calloc(1, sizeof *m);
        if (!m)
                return NULL;
        m->mb = &a->mb;
        m->kind = MSG_COMPLETION;
        m->gen = a->gen;
        m->op = op;
        m->sent = now_usec(CLOCK_MONOTONIC);
        if (in && !(m->instance = strdup(in->name))) {
                free(m);
                return NULL;
        }
        return m;
}

/* zoo_a*() returned an error: the completion will not run. */
static void op_failed(ZkMsg *m, int zrc, const char *what) {
        if (ratelimit_below(&agent.rl))
                log_warning("ZooKeeper %s failed to start: %s", what, zerror(zrc));
        zkmsg_free(m);
}

/* ---- lease ---- */

static bool any_held(Agent *a) {
        for (size_t i = 0; i < a->n_insts; i++)
                if (a->insts[i]->held)
                        return true;
        return false;
}

static usec_t lease_end(Agent *a) {
        return a->last_contact + fence_lease_revoke_after(a->t);
}

static void lease_arm(Agent *a) {
        if (!any_held(a)) {
                (void) sd_event_source_set_enabled(a->lease_timer, SD_EVENT_OFF);
                return;
        }
        (void) sd_event_source_set_time(a->lease_timer, lease_end(a));
        (void) sd_event_source_set_enabled(a->lease_timer, SD_EVENT_ONESHOT);
}

static void note_contact(Agent *a, usec_t sent) {
        if (sent > a->last_contact) {
                a->last_contact = sent;
                lease_arm(a);
        }
}

static void inst_revoke(Inst *in, const char *reason) {
        Agent *a = in->a;
        if (!in->held)
                return;
        in->held = false;
        log_instance(LOG_WARNING, 0, in->name, "Revoking the lock of %s: %s", in->name, reason);
        if (a->d->bus) {
                int r = sd_bus_emit_signal(a->d->bus, AGENT_PATH, AGENT_INTERFACE, "Revoked", "ss", in->name, reason);
                if (r < 0)
                        log_instance(LOG_ERR, r, in->name, "Cannot emit Revoked for %s: %s", in->name, strerror(-r));
                (void) sd_bus_flush(a->d->bus); /* now, not at the next loop iteration */
        }
        inst_props_changed(in);
}

static void revoke_all(Agent *a, const char *reason) {
        for (size_t i = 0; i < a->n_insts; i++)
                inst_revoke(a->insts[i], reason);
        lease_arm(a);
}

static int on_lease_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Agent *a = userdata;
        char b1[DURATION_MAX], b2[DURATION_MAX];
        _cleanup_free_ char *reason = NULL;

        if (now_usec(CLOCK_MONOTONIC) < lease_end(a)) {
                lease_arm(a);
                return 0;
        }
        /* short: callers may cut long reasons */
        if (asprintf(&reason, "zookeeper-lease-expired: no answer for %s (session %s, timeout %s)",
                     format_duration(b1, sizeof b1, (now_usec(CLOCK_MONOTONIC) - a->last_contact) / USEC_PER_MSEC * USEC_PER_MSEC),
                     a->session_state, format_duration(b2, sizeof b2, a->t)) < 0)
                reason = NULL;
        revoke_all(a, reason ?: "zookeeper-lease-expired");
        return 0;
}

/* ---- pending Fence calls ---- */

static void pending_remove(Inst *in, PendingFence *p) {
        for (size_t i = 0; i < in->n_calls; i++)
                if (in->calls[i] == p) {
                        memmove(in->calls + i, in->calls + i + 1, (in->n_calls - i - 1) * sizeof(PendingFence *));
                        in->n_calls--;
                        break;
                }
        sd_event_source_disable_unref(p->timer);
        sd_bus_message_unref(p->m);
        free(p);
}

static void pending_reply(Inst *in, PendingFence *p, bool ok, const char *detail) {
        char buf[DURATION_MAX];
        int r = sd_bus_reply_method_return(p->m, "bs", ok, detail);
        if (r < 0)
                log_instance(LOG_WARNING, r, in->name, "Cannot answer Fence(%s): %s", in->name, strerror(-r));
        log_instance(ok ? LOG_INFO : LOG_NOTICE, 0, in->name, "Fence(%s) → %s after %s: %s", in->name, ok ? "ok" : "refused",
                     format_duration(buf, sizeof buf, now_usec(CLOCK_MONOTONIC) - p->started), detail);
        pending_remove(in, p);
}

static void inst_withdraw(Inst *in);

static int on_pending_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        PendingFence *p = userdata;
        Inst *in = p->inst;
        Agent *a = in->a;
        char b[DURATION_MAX];
        _cleanup_free_ char *detail = NULL;
        int r;

        format_duration(b, sizeof b, p->budget);
        if (!a->connected)
                r = asprintf(&detail, "not connected to ZooKeeper (%s, session %s) within %s", a->hosts, a->session_state, b);
        else if (in->holder_node)
                /* most telling first: callers may cut long reasons (vrrpd keeps ~128 bytes) */
                r = asprintf(&detail, "held by %s; not acquired within %s (lock %s/%s, node %s)",
                             in->holder_desc ?: "(unknown)", b, a->root, in->name, in->holder_node);
        else
                r = asprintf(&detail, "lock %s/%s not acquired within %s", a->root, in->name, b);
        pending_reply(in, p, false, r < 0 ? "not acquired in time" : detail);
        if (in->n_calls == 0 && !in->held)
                inst_withdraw(in);
        return 0;
}

static void inst_fail_pending(Inst *in, const char *detail) {
        while (in->n_calls > 0)
                pending_reply(in, in->calls[0], false, detail);
}

/* ---- lock operations ---- */

static void issue_children(Inst *in);

static void issue_delete(Agent *a, const char *node) {
        ZkMsg *m = op_new(a, OP_DELETE, NULL);
        if (!m || !(m->path = strdup(node))) {
                zkmsg_free(m);
                log_oom();
                return;
        }
        int zrc = zoo_adelete(a->zh, node, -1, on_void_done, m);
        if (zrc != ZOK)
                op_failed(m, zrc, "delete");
}

/* No Fence waits and we do not hold: give our place in the queue back, so
 * that a node that is not (going to be) MASTER never blocks its peer. */
static void inst_withdraw(Inst *in) {
        Agent *a = in->a;
        if (!in->node)
                return;
        if (a->connected) {
                log_instance(LOG_INFO, 0, in->name, "Withdrawing lock node %s.", in->node);
                issue_delete(a, in->node);
                in->node = mfree(in->node);
                inst_props_changed(in);
        }
        /* not connected: the children listing after reconnecting finds it and withdraws then */
}

static void issue_create(Inst *in) {
        Agent *a = in->a;
        _cleanup_free_ char *dir = inst_dir(a, in), *path = NULL;
        char prefix[FENCE_LOCK_NODE_PREFIX_MAX];
        int zrc;

        if (!dir)
                return (void) log_oom();
        /* Parents (persistent) first: requests of one session are processed
         * in order, so the lock create below comes after them. */
        for (char *p = dir + 1;; p++) {
                if (*p != '/' && *p != 0)
                        continue;
                char saved = *p;
                *p = 0;
                ZkMsg *m = op_new(a, OP_PARENT, in);
                if (m && (m->path = strdup(dir))) {
                        zrc = zoo_acreate(a->zh, dir, NULL, -1, &ZOO_OPEN_ACL_UNSAFE, 0, on_string_done, m);
                        if (zrc != ZOK)
                                op_failed(m, zrc, "create of a parent node");
                } else
                        zkmsg_free(m);
                *p = saved;
                if (saved == 0)
                        break;
        }

        fence_lock_node_prefix(a->session_id, prefix);
        if (asprintf(&path, "%s/%s", dir, prefix) < 0)
                return (void) log_oom();
        ZkMsg *m = op_new(a, OP_CREATE, in);
        if (!m)
                return (void) log_oom();
        zrc = zoo_acreate(a->zh, path, a->node_data, (int) strlen(a->node_data), &ZOO_OPEN_ACL_UNSAFE,
                          ZOO_EPHEMERAL_SEQUENTIAL, on_string_done, m);
        if (zrc != ZOK)
                return op_failed(m, zrc, "create of the lock node");
        in->create_inflight = true;
        log_instance(LOG_DEBUG, 0, in->name, "Creating lock node %s*.", path);
}

static void issue_children(Inst *in) {
        Agent *a = in->a;
        _cleanup_free_ char *dir = inst_dir(a, in);

        if (!dir)
                return (void) log_oom();
        if (in->children_inflight) {
                in->children_again = true; /* one listing at a time; redo after it */
                return;
        }
        ZkMsg *m = op_new(a, OP_CHILDREN, in);
        if (!m)
                return (void) log_oom();
        /* watch=1: the global watcher gets a child event for this path */
        int zrc = zoo_aget_children(a->zh, dir, 1, on_strings_done, m);
        if (zrc != ZOK)
                return op_failed(m, zrc, "children listing");
        in->children_inflight = true;
        in->children_again = false;
}

static void issue_get_holder(Inst *in) {
        Agent *a = in->a;
        _cleanup_free_ char *dir = inst_dir(a, in);
        ZkMsg *m = op_new(a, OP_GET_HOLDER, in);

        if (!dir || !m || asprintf(&m->path, "%s/%s", dir, in->holder_node) < 0) {
                if (m)
                        m->path = NULL;
                zkmsg_free(m);
                return (void) log_oom();
        }
        int zrc = zoo_aget(a->zh, m->path, 0, on_data_done, m);
        if (zrc != ZOK)
                op_failed(m, zrc, "read of the holder's node");
}

/* Moves an instance toward what its callers need. force: list even when
 * we know of no node of ours (after a reconnect or a failed delete, the
 * server may still have one: the listing finds it by its session tag and
 * withdraws it when nobody wants it). */
static void inst_drive_full(Inst *in, bool force) {
        Agent *a = in->a;
        if (!a->connected || !a->zh)
                return;
        if (!force && in->n_calls == 0 && !in->held && !in->node)
                return;
        issue_children(in);
}

static void inst_drive(Inst *in) {
        inst_drive_full(in, false);
}

static void set_held(Inst *in, bool held) {
        Agent *a = in->a;
        if (held == in->held)
                return;
        in->held = held;
        inst_props_changed(in);
        lease_arm(a);
}

static void on_children(Agent *a, Inst *in, ZkMsg *m) {
        _cleanup_free_ char *dir = inst_dir(a, in);
        FenceLockView v;

        in->children_inflight = false;
        if (m->rc != ZOK && m->rc != ZNONODE) {
                log_instance(LOG_WARNING, 0, in->name, "Listing the lock nodes of %s failed: %s", in->name, zerror(m->rc));
                return; /* again after reconnecting */
        }
        if (in->children_again) {
                issue_children(in);
                return;
        }
        if (!dir)
                return (void) log_oom();

        fence_lock_evaluate(m->children, m->n_children, a->session_id, &v);
        if (v.n_ignored > 0 && ratelimit_below(&a->rl))
                log_instance(LOG_WARNING, 0, in->name, "%zu node(s) under %s are not lock nodes; ignored.", v.n_ignored, dir);

        /* Our node: the one of our session with the lowest sequence. Extra
         * ones exist only when a create's answer was lost: delete them. */
        if (v.n_ours > 1)
                for (size_t i = 0; i < m->n_children; i++) {
                        uint64_t sess;
                        if (fence_lock_parse(m->children[i], &sess, NULL) >= 0 && sess == a->session_id &&
                            !streq(m->children[i], v.ours)) {
                                _cleanup_free_ char *p = NULL;
                                if (asprintf(&p, "%s/%s", dir, m->children[i]) >= 0)
                                        issue_delete(a, p);
                        }
                }
        free(in->node);
        in->node = NULL;
        if (v.ours && asprintf(&in->node, "%s/%s", dir, v.ours) < 0)
                in->node = NULL;

        if (!v.ours) {
                if (in->held)
                        inst_revoke(in, "zookeeper-lock-lost: our lock node is gone");
                set_held(in, false);
                if (in->n_calls > 0 && !in->create_inflight)
                        issue_create(in);
                inst_props_changed(in);
                return;
        }

        if (in->n_calls == 0 && !in->held) {
                inst_withdraw(in);
                return;
        }

        if (!v.held) {
                if (in->held)
                        inst_revoke(in, "zookeeper-lock-lost: our lock node is no longer the lowest");
                set_held(in, false);
                if (!in->holder_node || !streq(in->holder_node, v.holder)) {
                        free(in->holder_node);
                        in->holder_node = strdup(v.holder);
                        in->holder_desc = mfree(in->holder_desc);
                        if (in->holder_node)
                                issue_get_holder(in);
                        log_instance(LOG_INFO, 0, in->name, "Waiting for the lock of %s: held by node %s.", in->name,
                                     v.holder);
                }
                inst_props_changed(in);
                return;
        }

        /* Proven: the server just listed our node as the lowest. */
        in->holder_node = mfree(in->holder_node);
        free(in->holder_desc);
        in->holder_desc = strdup(a->node_data);
        set_held(in, true);
        if (in->n_calls > 0) /* a re-listing while held keeps the owner */
                inst_set_owner(in, in->calls[0]->m);
        while (in->n_calls > 0) {
                _cleanup_free_ char *detail = NULL;
                if (asprintf(&detail, "holding lock node %s (session 0x%" PRIx64 ")", in->node, a->session_id) < 0)
                        detail = NULL;
                pending_reply(in, in->calls[0], true, detail ?: "holding the lock");
        }
        inst_props_changed(in);
}

static void on_completion(Agent *a, ZkMsg *m) {
        Inst *in = m->instance ? inst_find(a, m->instance) : NULL;

        if (server_answered(m->rc))
                note_contact(a, m->sent);

        switch (m->op) {
        case OP_PARENT:
                if (m->rc != ZOK && m->rc != ZNODEEXISTS)
                        log_warning("Cannot create %s: %s", strna(m->path), zerror(m->rc));
                break;
        case OP_CREATE:
                if (!in)
                        break;
                in->create_inflight = false;
                if (m->rc == ZOK && m->data) {
                        log_instance(LOG_INFO, 0, in->name, "Created lock node %s.", m->data);
                        /* known now, so that it is withdrawn if the Fence gave up meanwhile */
                        free(in->node);
                        in->node = TAKE_PTR(m->data);
                } else
                        log_instance(LOG_WARNING, 0, in->name, "Creating the lock node for %s failed: %s", in->name,
                                     zerror(m->rc));
                /* Whatever the answer (even a lost one): the listing finds our node by its session tag. */
                inst_drive_full(in, true);
                break;
        case OP_CHILDREN:
                if (in)
                        on_children(a, in, m);
                break;
        case OP_GET_HOLDER:
                if (in && m->rc == ZOK && in->holder_node && m->path && strstr(m->path, in->holder_node)) {
                        free(in->holder_desc);
                        in->holder_desc = fence_node_data_describe(m->data, m->data_len);
                        inst_props_changed(in);
                }
                break;
        case OP_DELETE:
                if (m->rc != ZOK && m->rc != ZNONODE) {
                        log_warning("Deleting %s failed: %s", strna(m->path), zerror(m->rc));
                        /* look again (now or after reconnecting): never leave a node nobody wants */
                        for (size_t i = 0; i < a->n_insts; i++)
                                inst_drive_full(a->insts[i], true);
                }
                break;
        case OP_HEARTBEAT:
                break;
        }
}

/* ---- session ---- */

static void zk_close(Agent *a) {
        if (a->zh) {
                /* Joins the client's threads: no callback runs after this. */
                zookeeper_close(a->zh);
                a->zh = NULL;
        }
        a->hctx = mfree(a->hctx);
        a->connected = false;
        (void) sd_event_source_set_enabled(a->heartbeat_timer, SD_EVENT_OFF);
        (void) sd_event_source_set_enabled(a->stale_timer, SD_EVENT_OFF);
}

static void session_state_changed(Agent *a, const char *state) {
        if (a->session_state && streq(a->session_state, state))
                return;
        a->session_state = state;
        if (a->d->bus) {
                (void) sd_bus_emit_properties_changed(a->d->bus, a->d->ops->manager_path, a->d->ops->manager_interface,
                                                      "SessionState", "SessionTimeoutUSec", NULL);
                for (size_t i = 0; i < a->n_insts; i++)
                        (void) sd_bus_emit_properties_changed(a->d->bus, a->insts[i]->object_path, INSTANCE_INTERFACE,
                                                              "SessionState", NULL);
        }
}

static int zk_connect(Agent *a);

static int on_reconnect(sd_event_source *s, uint64_t usec, void *userdata) {
        (void) zk_connect(userdata);
        return 0;
}

static void schedule_reconnect(Agent *a) {
        (void) sd_event_source_set_time_relative(a->reconnect_timer, RECONNECT_DELAY);
        (void) sd_event_source_set_enabled(a->reconnect_timer, SD_EVENT_ONESHOT);
}

static void session_lost(Agent *a, const char *state, const char *reason) {
        revoke_all(a, reason);
        for (size_t i = 0; i < a->n_insts; i++) {
                Inst *in = a->insts[i];
                /* The session's ephemeral nodes are gone with it. */
                in->node = mfree(in->node);
                in->children_inflight = in->children_again = in->create_inflight = false;
                inst_props_changed(in);
        }
        zk_close(a);
        session_state_changed(a, state);
        schedule_reconnect(a);
}

/* Disconnected for this long: start over with a new session. The old one
 * holds nothing we rely on (revoked at t/2 already); if the server still
 * keeps it, its nodes expire by themselves. This also gets us out of states
 * the client library never leaves, such as a server that lost its data and
 * refuses our session for having seen a newer zxid. */
static usec_t stale_after(const Agent *a) {
        return MAX(3 * a->t, 5 * USEC_PER_SEC);
}

static int on_stale(sd_event_source *s, uint64_t usec, void *userdata) {
        Agent *a = userdata;
        char b[DURATION_MAX];
        if (a->connected || !a->zh)
                return 0;
        log_warning("No ZooKeeper connection for %s: abandoning session 0x%" PRIx64 " and starting a new one.",
                    format_duration(b, sizeof b, stale_after(a)), a->session_id);
        session_lost(a, "connecting", "zookeeper-unreachable: no connection, starting a new session");
        return 0;
}

static bool instance_uses_agent(const Agent *a, const VrrpInstanceConf *ic) {
        const char *bus_name = getenv("VIGIL_BUS_NAME") ?: a->d->ops->bus_name;
        STRV_FOREACH(ag, ic->fencing.agents)
                if (streq(*ag, bus_name) || streq(*ag, a->d->ops->bus_name))
                        return true;
        return false;
}

/* With the negotiated timeout known: can each instance's VIP be gone in
 * time (revoke_after + vip_lease < t)? Only a warning: it matters when vrrpd
 * hangs exactly when the agent revokes, but the operator should know. */
static void check_lease_bounds(Agent *a) {
        const Config *c = a->d->config;
        for (size_t i = 0; i < c->n_instances; i++) {
                const VrrpInstanceConf *ic = &c->instances[i];
                if (!instance_uses_agent(a, ic))
                        continue;
                usec_t lease = fence_vip_lease_bound(ic->vip_lease == VIP_LEASE_OFF,
                                                     ic->vip_lease == VIP_LEASE_FIXED ? ic->vip_lease_duration : 0,
                                                     ic->advert_interval);
                if (fence_lease_safe(a->t, fence_lease_revoke_after(a->t), lease))
                        continue;
                char b1[DURATION_MAX], b2[DURATION_MAX], b3[DURATION_MAX];
                log_instance(LOG_WARNING, 0, ic->name,
                             "%s:%u:%u: instance %s: a VIP may outlive a revoke by %s, but only %s remain between the "
                             "revoke (%s without an answer) and the earliest session expiry: a peer could take the lock "
                             "while the VIP is still up if vrrpd hangs then. Shorten vip_lease or raise zookeeper.session_timeout.",
                             strna(ic->loc.file), ic->loc.line, ic->loc.col, ic->name,
                             lease == USEC_INFINITY ? "ever (vip_lease: off)" : format_duration(b1, sizeof b1, lease),
                             format_duration(b2, sizeof b2, a->t - fence_lease_revoke_after(a->t)),
                             format_duration(b3, sizeof b3, fence_lease_revoke_after(a->t)));
        }
}

static void on_session(Agent *a, ZkMsg *m) {
        char b[DURATION_MAX];

        if (m->state == ZOO_CONNECTED_STATE) {
                const clientid_t *cid = zoo_client_id(a->zh);
                uint64_t sid = cid ? (uint64_t) cid->client_id : 0;
                a->connected = true;
                if (m->recv_timeout > 0)
                        a->t = (usec_t) m->recv_timeout * USEC_PER_MSEC;
                if (sid != a->session_id)
                        check_lease_bounds(a);
                if (sid != a->session_id)
                        log_info("ZooKeeper session 0x%" PRIx64 " established (timeout %s; revoke after %s without an answer).",
                                 sid, format_duration(b, sizeof b, a->t),
                                 format_duration((char[DURATION_MAX]) {}, DURATION_MAX, fence_lease_revoke_after(a->t)));
                else
                        log_info("Reconnected to ZooKeeper, session 0x%" PRIx64 " still valid.", sid);
                a->session_id = sid;
                session_state_changed(a, "connected");
                (void) sd_event_source_set_enabled(a->stale_timer, SD_EVENT_OFF);
                (void) sd_event_source_set_time_relative(a->heartbeat_timer, 0);
                (void) sd_event_source_set_enabled(a->heartbeat_timer, SD_EVENT_ON);
                for (size_t i = 0; i < a->n_insts; i++) {
                        a->insts[i]->children_inflight = false; /* answers lost with the old connection */
                        inst_drive_full(a->insts[i], true);
                }
                return;
        }
        if (m->state == ZOO_EXPIRED_SESSION_STATE) {
                log_warning("ZooKeeper session 0x%" PRIx64 " expired.", a->session_id);
                session_lost(a, "expired", "zookeeper-session-expired: the lock nodes are gone");
                return;
        }
        if (m->state == ZOO_AUTH_FAILED_STATE) {
                log_error("ZooKeeper authentication failed.");
                session_lost(a, "auth-failed", "zookeeper-auth-failed");
                return;
        }
        /* connecting / associating / read-only: the session may survive; the
         * lease timer revokes if the server stays silent for t/2. */
        if (a->connected)
                log_warning("Lost the connection to ZooKeeper (%s); revoking in %s unless it comes back.",
                            zk_state_name(m->state),
                            format_duration(b, sizeof b, lease_end(a) > now_usec(CLOCK_MONOTONIC) ?
                                                             lease_end(a) - now_usec(CLOCK_MONOTONIC) : 0));
        if (a->connected || sd_event_source_get_enabled(a->stale_timer, NULL) == 0) {
                (void) sd_event_source_set_time_relative(a->stale_timer, stale_after(a));
                (void) sd_event_source_set_enabled(a->stale_timer, SD_EVENT_ONESHOT);
        }
        a->connected = false;
        (void) sd_event_source_set_enabled(a->heartbeat_timer, SD_EVENT_OFF);
        session_state_changed(a, zk_state_name(m->state));
}

static int on_heartbeat(sd_event_source *s, uint64_t usec, void *userdata) {
        Agent *a = userdata;
        if (a->connected && a->zh) {
                ZkMsg *m = op_new(a, OP_HEARTBEAT, NULL);
                if (m) {
                        int zrc = zoo_aexists(a->zh, a->root, 0, on_stat_done, m);
                        if (zrc != ZOK)
                                op_failed(m, zrc, "heartbeat");
                }
        }
        (void) sd_event_source_set_time_relative(s, fence_lease_heartbeat_interval(a->t));
        return 0;
}

static int on_mailbox(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Agent *a = userdata;
        MailboxItem *it = mailbox_take_all(&a->mb);

        while (it) {
                ZkMsg *m = (ZkMsg *) it;
                it = it->next;
                if (m->gen == a->gen && a->zh) {
                        if (m->kind == MSG_SESSION)
                                on_session(a, m);
                        else if (m->kind == MSG_WATCH) {
                                /* a child event on ROOT/INSTANCE */
                                size_t rl = strlen(a->root);
                                const char *p = m->path && strneq(m->path, a->root, rl) ? m->path + rl : NULL;
                                if (p && *p == '/')
                                        p++;
                                Inst *in = p ? inst_find(a, p) : NULL;
                                if (in)
                                        inst_drive(in);
                        } else
                                on_completion(a, m);
                }
                zkmsg_free(m);
        }
        return 0;
}

static int zk_connect(Agent *a) {
        a->gen++;
        a->hctx = calloc(1, sizeof *a->hctx);
        if (!a->hctx)
                return log_oom();
        *a->hctx = (HandleCtx) { .mb = &a->mb, .gen = a->gen };
        a->session_id = 0;
        a->t = a->requested_timeout;
        errno = 0;
        a->zh = zookeeper_init2(a->hosts, zk_watcher, (int) (a->requested_timeout / USEC_PER_MSEC), NULL, a->hctx, 0,
                                zk_log);
        if (!a->zh) {
                int r = errno > 0 ? -errno : -EIO;
                a->hctx = mfree(a->hctx);
                log_error_errno(r, "Cannot start the ZooKeeper client for '%s': %s; retrying.", a->hosts, strerror(-r));
                schedule_reconnect(a);
                return r;
        }
        session_state_changed(a, "connecting");
        (void) sd_event_source_set_time_relative(a->stale_timer, stale_after(a));
        (void) sd_event_source_set_enabled(a->stale_timer, SD_EVENT_ONESHOT);
        log_info("Connecting to ZooKeeper %s (root %s, session timeout %s requested).", a->hosts, a->root,
                 format_duration((char[DURATION_MAX]) {}, DURATION_MAX, a->requested_timeout));
        return 0;
}

/* ---- bus ---- */

static int method_fence(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Agent *a = &agent;
        const char *name, *peer;
        int r;

        r = daemon_check_privileged(m, error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(m, "ss", &name, &peer);
        if (r < 0)
                return r;
        if (!fence_instance_name_valid(name))
                return sd_bus_error_setf(error, VIGIL_ERROR_INVALID_ARGS,
                                         "Fence: argument instance: '%.80s' is not a valid instance name "
                                         "(1-%d characters of A-Z a-z 0-9 _ . : -)", name, FENCE_INSTANCE_NAME_MAX);
        if (strlen(peer) > 255)
                return sd_bus_error_setf(error, VIGIL_ERROR_INVALID_ARGS, "Fence: argument peer: longer than 255 characters");

        Inst *in = inst_get(a, name);
        if (!in)
                return sd_bus_error_setf(error, VIGIL_ERROR_FAILED, "Fence: too many instances (at most %d)", MAX_INSTANCES);

        /* Still within the lease of a lock the server showed us: answer now. */
        if (in->held && a->connected && now_usec(CLOCK_MONOTONIC) < lease_end(a)) {
                _cleanup_free_ char *detail = NULL;
                if (asprintf(&detail, "holding lock node %s (session 0x%" PRIx64 ")", in->node, a->session_id) < 0)
                        return -ENOMEM;
                log_instance(LOG_INFO, 0, name, "Fence(%s, peer %s) → ok: already held.", name, peer);
                inst_set_owner(in, m);
                return sd_bus_reply_method_return(m, "bs", true, detail);
        }
        if (in->n_calls >= MAX_PENDING)
                return sd_bus_error_setf(error, VIGIL_ERROR_FAILED, "Fence: %d calls for %s are already waiting",
                                         MAX_PENDING, name);

        const VrrpInstanceConf *ic = config_find_instance(a->d->config, name);
        usec_t timeout = ic && ic->fencing.timeout > 0 ? ic->fencing.timeout : DEFAULT_FENCE_TIMEOUT;
        PendingFence *p = calloc(1, sizeof *p);
        if (!p)
                return -ENOMEM;
        *p = (PendingFence) { .inst = in, .m = sd_bus_message_ref(m), .started = now_usec(CLOCK_MONOTONIC),
                              .budget = fence_wait_budget(timeout) };
        r = sd_event_add_time_relative(a->d->event, &p->timer, CLOCK_MONOTONIC, p->budget, 10 * USEC_PER_MSEC,
                                       on_pending_timeout, p);
        if (r < 0) {
                sd_bus_message_unref(p->m);
                free(p);
                return r;
        }
        in->calls[in->n_calls++] = p;
        log_instance(LOG_INFO, 0, name, "Fence(%s, peer %s): acquiring (waiting at most %s).", name, peer,
                     format_duration((char[DURATION_MAX]) {}, DURATION_MAX, p->budget));
        inst_drive(in);
        return 1;
}

/* Gives the lock of an instance back (Release, or its caller gone). */
static void inst_release(Inst *in, const char *why) {
        Agent *a = in->a;
        inst_fail_pending(in, "released");
        log_instance(LOG_INFO, 0, in->name, "%s: %s.", why,
                     !in->node ? "no lock node" :
                     a->connected ? "deleting our lock node" : "not connected, the node is withdrawn after reconnecting");
        if (in->node && a->connected) {
                issue_delete(a, in->node);
                in->node = mfree(in->node);
        }
        in->owner = mfree(in->owner);
        set_held(in, false);
        inst_props_changed(in);
}

/* The caller a lock was granted to (vrrpd) left the bus: it crashed or
 * stopped without Release. Its VIPs go with its own lease (DESIGN §1), which
 * ends before a peer can declare it down; keeping the lock would only keep
 * the peer out of MASTER (an outage, not safety). So give it back. */
/* The caller a lock was granted to is really gone (the bus confirmed it). */
static void on_caller_vanished(const char *name, void *userdata) {
        Agent *a = userdata;
        for (size_t i = 0; i < a->n_insts; i++) {
                Inst *in = a->insts[i];
                if (in->owner && streq(in->owner, name)) {
                        _cleanup_free_ char *why = NULL;
                        if (asprintf(&why, "%s, which was granted the lock of %s, left the bus", name, in->name) < 0)
                                why = NULL;
                        inst_release(in, why ?: "the lock's caller left the bus");
                }
        }
}

static int on_name_owner_changed(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Agent *a = userdata;
        const char *name, *old_owner, *new_owner;
        bool held = false;

        if (sd_bus_message_read(msg, "sss", &name, &old_owner, &new_owner) < 0 || name[0] != ':' || !isempty(new_owner))
                return 0;
        for (size_t i = 0; i < a->n_insts && !held; i++)
                held = a->insts[i]->owner && streq(a->insts[i]->owner, name);
        if (!held)
                return 0;
        /* dbus-daemon shutting down announces every client as gone while vrrpd
         * still holds the lock and stays master: release only once the bus
         * confirms (a bus going away never answers) */
        if (daemon_confirm_vanished(sd_bus_message_get_bus(msg), name, on_caller_vanished, a) < 0)
                on_caller_vanished(name, a);
        return 0;
}

static int method_release(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Agent *a = &agent;
        const char *name;
        int r;

        r = daemon_check_privileged(m, error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(m, "s", &name);
        if (r < 0)
                return r;
        if (!fence_instance_name_valid(name))
                return sd_bus_error_setf(error, VIGIL_ERROR_INVALID_ARGS,
                                         "Release: argument instance: '%.80s' is not a valid instance name", name);
        Inst *in = inst_find(a, name);
        if (in) {
                _cleanup_free_ char *why = NULL;
                if (asprintf(&why, "Release(%s) by %s", name, strna(sd_bus_message_get_sender(m))) < 0)
                        why = NULL;
                inst_release(in, why ?: "Release");
        }
        return sd_bus_reply_method_return(m, NULL);
}

static const sd_bus_vtable agent_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_NAMES("Fence", "ss", SD_BUS_PARAM(instance) SD_BUS_PARAM(peer), "bs",
                                 SD_BUS_PARAM(ok) SD_BUS_PARAM(detail), method_fence, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("Release", "s", SD_BUS_PARAM(instance), "", , method_release,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_NAMES("Revoked", "ss", SD_BUS_PARAM(instance) SD_BUS_PARAM(reason), 0),
        SD_BUS_VTABLE_END
};

static int inst_find_cb(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                        sd_bus_error *error) {
        Agent *a = &agent;
        for (size_t i = 0; i < a->n_insts; i++)
                if (streq(a->insts[i]->object_path, path)) {
                        *found = a->insts[i];
                        return 1;
                }
        return 0;
}

static int inst_enumerate(sd_bus *bus, const char *prefix, void *userdata, char ***ret, sd_bus_error *error) {
        Agent *a = &agent;
        char **l = calloc(a->n_insts + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < a->n_insts; i++)
                if (!(l[i] = strdup(a->insts[i]->object_path))) {
                        strv_free(l);
                        return -ENOMEM;
                }
        *ret = l;
        return 0;
}

static int inst_prop(sd_bus *bus, const char *path, const char *interface, const char *property, sd_bus_message *reply,
                     void *userdata, sd_bus_error *error) {
        Inst *in = userdata;
        if (streq(property, "Name"))
                return sd_bus_message_append(reply, "s", in->name);
        if (streq(property, "Held"))
                return sd_bus_message_append(reply, "b", in->held);
        if (streq(property, "Holder"))
                return sd_bus_message_append(reply, "s", in->held ? strempty(in->a->node_data) : strempty(in->holder_desc));
        if (streq(property, "Node"))
                return sd_bus_message_append(reply, "s", strempty(in->node));
        if (streq(property, "SessionState"))
                return sd_bus_message_append(reply, "s", strna(in->a->session_state));
        return -EINVAL;
}

static const sd_bus_vtable inst_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Name", "s", inst_prop, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Held", "b", inst_prop, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Holder", "s", inst_prop, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Node", "s", inst_prop, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("SessionState", "s", inst_prop, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_VTABLE_END
};

static int mgr_prop(sd_bus *bus, const char *path, const char *interface, const char *property, sd_bus_message *reply,
                    void *userdata, sd_bus_error *error) {
        Agent *a = &agent;
        if (streq(property, "SessionState"))
                return sd_bus_message_append(reply, "s", strna(a->session_state));
        if (streq(property, "SessionTimeoutUSec"))
                return sd_bus_message_append(reply, "t", (uint64_t) a->t);
        if (streq(property, "RevokeAfterUSec"))
                return sd_bus_message_append(reply, "t", (uint64_t) fence_lease_revoke_after(a->t));
        if (streq(property, "Hosts"))
                return sd_bus_message_append(reply, "s", strempty(a->hosts));
        if (streq(property, "Root"))
                return sd_bus_message_append(reply, "s", strempty(a->root));
        return -EINVAL;
}

static int method_list_instances(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Agent *a = &agent;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r = sd_bus_message_new_method_return(m, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(so)");
        for (size_t i = 0; r >= 0 && i < a->n_insts; i++)
                r = sd_bus_message_append(reply, "(so)", a->insts[i]->name, a->insts[i]->object_path);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r < 0 ? r : sd_bus_send(NULL, reply, NULL);
}

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        DAEMON_MANAGER_VTABLE_COMMON,
        SD_BUS_PROPERTY("SessionState", "s", mgr_prop, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("SessionTimeoutUSec", "t", mgr_prop, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("RevokeAfterUSec", "t", mgr_prop, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Hosts", "s", mgr_prop, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Root", "s", mgr_prop, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD_WITH_NAMES("ListInstances", "", , "a(so)", SD_BUS_PARAM(instances), method_list_instances,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END
};

/* ---- daemon callbacks ---- */

static int agent_apply_config(Agent *a, const Config *c, sd_bus_error *error) {
        const ZooKeeperConf *z = &c->zookeeper;
        if (!z->present || isempty(z->hosts)) {
                log_error("%s: no zookeeper: section with hosts; vigil-fence-zk has nothing to connect to.",
                          c->files && c->files[0] ? c->files[0] : "configuration");
                if (error)
                        sd_bus_error_setf(error, VIGIL_ERROR_INVALID_CONFIG, "no zookeeper: section with hosts");
                return -EINVAL;
        }
        char *hosts = strdup(z->hosts), *root = strdup(isempty(z->root) ? "/vigil" : z->root);
        if (!hosts || !root) {
                free(hosts);
                free(root);
                return -ENOMEM;
        }
        /* "/vigil/" → "/vigil": node paths are built as ROOT/INSTANCE */
        size_t n = strlen(root);
        while (n > 1 && root[n - 1] == '/')
                root[--n] = 0;
        free(a->hosts);
        free(a->root);
        a->hosts = hosts;
        a->root = root;
        a->requested_timeout = z->session_timeout > 0 ? z->session_timeout : 6 * USEC_PER_SEC;
        return 0;
}

/* Instances configured to use this agent get their objects at once; others on first Fence(). */
static void agent_add_configured(Agent *a, const Config *c) {
        for (size_t i = 0; i < c->n_instances; i++)
                if (instance_uses_agent(a, &c->instances[i]) && fence_instance_name_valid(c->instances[i].name))
                        (void) inst_get(a, c->instances[i].name);
}

static int agent_start(Daemon *d) {
        Agent *a = d->userdata;
        char host[256] = "";
        int r;

        a->d = d;
        a->rl = (RateLimit) RATELIMIT_INIT(10 * USEC_PER_SEC, 10);
        r = agent_apply_config(a, d->config, NULL);
        if (r < 0)
                return r;
        (void) gethostname(host, sizeof host - 1);
        r = fence_node_data_format(d->config->global.router_id ?: host, host, (int) getpid(), &a->node_data);
        if (r < 0)
                return r;

        r = mailbox_init(&a->mb);
        if (r < 0)
                return log_error_errno(r, "Cannot create the eventfd: %s", strerror(-r));
        r = sd_event_add_io(d->event, &a->mb_source, a->mb.efd, EPOLLIN, on_mailbox, a);
        if (r < 0)
                return r;
        /* The lease timer outranks everything else in the loop. */
        r = sd_event_add_time(d->event, &a->lease_timer, CLOCK_MONOTONIC, USEC_INFINITY, 0, on_lease_timer, a);
        if (r < 0)
                return r;
        (void) sd_event_source_set_priority(a->lease_timer, SD_EVENT_PRIORITY_IMPORTANT);
        (void) sd_event_source_set_enabled(a->lease_timer, SD_EVENT_OFF);
        r = sd_event_add_time(d->event, &a->heartbeat_timer, CLOCK_MONOTONIC, USEC_INFINITY, 10 * USEC_PER_MSEC,
                              on_heartbeat, a);
        if (r < 0)
                return r;
        (void) sd_event_source_set_enabled(a->heartbeat_timer, SD_EVENT_OFF);
        r = sd_event_add_time(d->event, &a->reconnect_timer, CLOCK_MONOTONIC, USEC_INFINITY, 0, on_reconnect, a);
        if (r < 0)
                return r;
        (void) sd_event_source_set_enabled(a->reconnect_timer, SD_EVENT_OFF);
        r = sd_event_add_time(d->event, &a->stale_timer, CLOCK_MONOTONIC, USEC_INFINITY, 0, on_stale, a);
        if (r < 0)
                return r;
        (void) sd_event_source_set_enabled(a->stale_timer, SD_EVENT_OFF);

        agent_add_configured(a, d->config);

        zoo_set_debug_level(log_get_max_level() >= LOG_DEBUG ? ZOO_LOG_LEVEL_INFO : ZOO_LOG_LEVEL_WARN);
        return zk_connect(a) == -ENOMEM ? -ENOMEM : 0;
}

/* Each bus connection (the first, and after dbus-daemon came back). The
 * ZooKeeper session and the locks are untouched by a bus outage. Unique names
 * of the old bus mean nothing on the new one (and may be handed to another
 * client), so the recorded lock owners are forgotten rather than trusted: a
 * lock is then released by Release() or the session, never because an
 * unrelated client that inherited the name left. */
static int agent_attach(Daemon *d) {
        Agent *a = d->userdata;
        static bool attached_before;
        int r;

        if (attached_before)
                for (size_t i = 0; i < a->n_insts; i++)
                        if (a->insts[i]->owner) {
                                log_info("Bus reconnected: %s's lock owner %s is from the old connection, forgotten.",
                                         a->insts[i]->name, a->insts[i]->owner);
                                a->insts[i]->owner = mfree(a->insts[i]->owner);
                        }
        attached_before = true;

        r = sd_bus_add_object_vtable(d->bus, NULL, AGENT_PATH, AGENT_INTERFACE, agent_vtable, a);
        if (r < 0)
                return log_error_errno(r, "Cannot register %s: %s", AGENT_PATH, strerror(-r));
        r = sd_bus_add_fallback_vtable(d->bus, NULL, INSTANCE_PREFIX, INSTANCE_INTERFACE, inst_vtable, inst_find_cb, a);
        if (r < 0)
                return r;
        r = sd_bus_add_node_enumerator(d->bus, NULL, INSTANCE_PREFIX, inst_enumerate, a);
        if (r < 0)
                return r;
        /* asynchronous: on a reconnect the handshake is not done yet */
        r = sd_bus_match_signal_async(d->bus, NULL, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                      "NameOwnerChanged", on_name_owner_changed, NULL, a);
        if (r < 0)
                return log_error_errno(r, "Cannot subscribe to NameOwnerChanged: %s", strerror(-r));
        return 0;
}

static int agent_reload(Daemon *d, Config *c, sd_bus_error *error) {
        Agent *a = d->userdata;
        const ZooKeeperConf *z = &c->zookeeper;
        bool same = z->present && !isempty(z->hosts) && streq(z->hosts, a->hosts) &&
                    streq(isempty(z->root) ? "/vigil" : z->root, a->root) &&
                    (z->session_timeout ?: 6 * USEC_PER_SEC) == a->requested_timeout;
        if (same) {
                agent_add_configured(a, c);
                return 0; /* Fence timeouts are read from the config at each call */
        }
        if (any_held(a))
                return sd_bus_error_setf(error, VIGIL_ERROR_FAILED,
                                         "zookeeper: changed while holding locks; Release them (leave MASTER) first"),
                       -EBUSY;
        int r = agent_apply_config(a, c, error);
        if (r < 0)
                return r;
        log_info("zookeeper: section changed: reconnecting.");
        for (size_t i = 0; i < a->n_insts; i++) {
                inst_fail_pending(a->insts[i], "agent reconfigured");
                a->insts[i]->node = mfree(a->insts[i]->node);
                a->insts[i]->children_inflight = a->insts[i]->create_inflight = false;
        }
        zk_close(a);
        agent_add_configured(a, c);
        return zk_connect(a) == -ENOMEM ? -ENOMEM : 0;
}

static void agent_stop(Daemon *d) {
        Agent *a = d->userdata;
        /* vrrpd must leave MASTER before our nodes vanish with the session. */
        revoke_all(a, "fence-agent-stopping: vigil-fence-zk is stopping");
        for (size_t i = 0; i < a->n_insts; i++)
                inst_fail_pending(a->insts[i], "vigil-fence-zk is stopping");
        if (d->bus)
                (void) sd_bus_flush(d->bus);
}

static void agent_free(Daemon *d) {
        Agent *a = d->userdata;
        zk_close(a);
        for (size_t i = 0; i < a->n_insts; i++) {
                Inst *in = a->insts[i];
                while (in->n_calls > 0)
                        pending_remove(in, in->calls[0]);
                free(in->name);
                free(in->object_path);
                free(in->node);
                free(in->holder_node);
                free(in->holder_desc);
                free(in->owner);
                free(in);
        }
        a->n_insts = 0;
        a->mb_source = sd_event_source_disable_unref(a->mb_source);
        a->lease_timer = sd_event_source_disable_unref(a->lease_timer);
        a->heartbeat_timer = sd_event_source_disable_unref(a->heartbeat_timer);
        a->reconnect_timer = sd_event_source_disable_unref(a->reconnect_timer);
        a->stale_timer = sd_event_source_disable_unref(a->stale_timer);
        mailbox_done(&a->mb, zkmsg_free_item);
        free(a->hosts);
        free(a->root);
        free(a->node_data);
}

static const DaemonOps ops = {
        .name = "vigil-fence-zk",
        .description = "Fence agent (org.vigil.FenceAgent1): a quorum lease per VRRP instance on ZooKeeper.",
        .bus_name = "org.vigil.FenceZk1",
        .manager_path = "/org/vigil/FenceZk1",
        .manager_interface = "org.vigil.FenceZk1.Manager",
        .sections = CONF_SECTION_GLOBAL | CONF_SECTION_ZOOKEEPER | CONF_SECTION_VRRP,
        .manager_vtable = manager_vtable,
        .start = agent_start,
        .attach = agent_attach,
        .reload = agent_reload,
        .stop = agent_stop,
        .free = agent_free,
};

int main(int argc, char **argv) {
        agent.mb.efd = -EBADF;
        return daemon_main(argc, argv, &ops, &agent);
}
