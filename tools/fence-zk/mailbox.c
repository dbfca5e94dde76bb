/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "macro.h"
#include "mailbox.h"

int mailbox_init(Mailbox *mb) {
        *mb = (Mailbox) { .efd = -EBADF };
        mb->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (mb->efd < 0)
                return -errno;
        pthread_mutex_init(&mb->lock, NULL);
        mb->tail = &mb->head;
        return 0;
}

void mailbox_done(Mailbox *mb, void (*free_item)(MailboxItem *it)) {
        if (mb->efd < 0)
                return;
        MailboxItem *it = mailbox_take_all(mb);
        while (it) {
                MailboxItem *next = it->next;
                free_item(it);
                it = next;
        }
        mb->efd = safe_close(mb->efd);
        pthread_mutex_destroy(&mb->lock);
}

void mailbox_post(Mailbox *mb, MailboxItem *it) {
        uint64_t one = 1;

        it->next = NULL;
        pthread_mutex_lock(&mb->lock);
        *mb->tail = it;
        mb->tail = &it->next;
        mb->n++;
        pthread_mutex_unlock(&mb->lock);
        /* An eventfd write only fails when the counter would overflow, which
         * cannot happen with the loop draining it. */
        (void) !write(mb->efd, &one, sizeof one);
}

MailboxItem *mailbox_take_all(Mailbox *mb) {
        uint64_t v;
        MailboxItem *list;

        (void) !read(mb->efd, &v, sizeof v);
        pthread_mutex_lock(&mb->lock);
        list = mb->head;
        mb->head = NULL;
        mb->tail = &mb->head;
        mb->n = 0;
        pthread_mutex_unlock(&mb->lock);
        return list;
}
