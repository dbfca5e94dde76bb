/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Hands items from foreign threads (the ZooKeeper client's completion
 * thread) to the sd-event thread: a mutex-protected FIFO plus an eventfd the
 * loop watches. The foreign thread does nothing else: it never touches
 * sd-bus or the agent's state. */

#include <pthread.h>
#include <stddef.h>

typedef struct MailboxItem {
        struct MailboxItem *next;
} MailboxItem;

typedef struct Mailbox {
        pthread_mutex_t lock;
        MailboxItem *head;
        MailboxItem **tail;
        size_t n;
        int efd;
} Mailbox;

int mailbox_init(Mailbox *mb);
/* Frees what is still queued with free_item. */
void mailbox_done(Mailbox *mb, void (*free_item)(MailboxItem *it));
/* Any thread. Never fails (the item is preallocated by the caller). */
void mailbox_post(Mailbox *mb, MailboxItem *it);
/* Loop thread: takes everything queued, in posting order, and resets the eventfd. */
MailboxItem *mailbox_take_all(Mailbox *mb);
