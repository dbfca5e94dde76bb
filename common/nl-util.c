/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <netlink/errno.h>

#include "cleanup-libs.h"

/* libnl's NLE_* codes mapped back to the errno a caller can act on. */
int nl_error_to_errno(int nle) {
        if (nle >= 0)
                return 0;
        switch (-nle) {
        case NLE_SUCCESS: return 0;
        case NLE_INTR: return -EINTR;
        case NLE_BAD_SOCK: return -EBADF;
        case NLE_AGAIN: return -EAGAIN;
        case NLE_NOMEM: return -ENOMEM;
        case NLE_EXIST: return -EEXIST;
        case NLE_INVAL: return -EINVAL;
        case NLE_RANGE: return -ERANGE;
        case NLE_MSGSIZE: return -EMSGSIZE;
        case NLE_OPNOTSUPP: return -EOPNOTSUPP;
        case NLE_AF_NOSUPPORT: return -EAFNOSUPPORT;
        case NLE_OBJ_NOTFOUND: return -ENOENT;
        case NLE_NOATTR: return -ENODATA;
        case NLE_MISSING_ATTR: return -ENODATA;
        case NLE_AF_MISMATCH: return -EAFNOSUPPORT;
        case NLE_SEQ_MISMATCH: return -EILSEQ;
        case NLE_MSG_OVERFLOW: return -EOVERFLOW;
        case NLE_MSG_TRUNC: return -EMSGSIZE;
        case NLE_NOADDR: return -EADDRNOTAVAIL;
        case NLE_SRCRT_NOSUPPORT: return -EOPNOTSUPP;
        case NLE_MSG_TOOSHORT: return -EBADMSG;
        case NLE_MSGTYPE_NOSUPPORT: return -EOPNOTSUPP;
        case NLE_OBJ_MISMATCH: return -EINVAL;
        case NLE_NOCACHE: return -ENOENT;
        case NLE_BUSY: return -EBUSY;
        case NLE_PROTO_MISMATCH: return -EPROTONOSUPPORT;
        case NLE_NOACCESS: return -EACCES;
        case NLE_PERM: return -EPERM;
        case NLE_PKTLOC_FILE: return -ENOENT;
        case NLE_PARSE_ERR: return -EINVAL;
        case NLE_NODEV: return -ENODEV;
        case NLE_IMMUTABLE: return -EPERM;
        case NLE_DUMP_INTR: return -EINTR;
        case NLE_ATTRSIZE: return -EINVAL;
        default: return -EIO;
        }
}
