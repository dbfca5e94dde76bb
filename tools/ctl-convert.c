/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vigilctl convert: keepalived.conf → vigil.yaml (tools/convert/). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "convert.h"
#include "log.h"
#include "macro.h"
#include "vigilctl.h"

#define CHECK_MAX_BYTES (512u * 1024u)

static void convert_help(void) {
        printf("vigilctl convert KEEPALIVED_CONF [-o OUT] [--strict] [--config-id ID]\n\n"
               "Writes the vigil configuration (YAML) equivalent to a keepalived configuration,\n"
               "following its includes. Every keyword that cannot be converted is reported as\n"
               "FILE:LINE on stderr and listed in the output's header.\n\n"
               "  -o --output FILE   Write to FILE (atomically) instead of stdout\n"
               "     --strict        Fail (exit 1, no output) when anything was not converted\n"
               "  -i --config-id ID  Evaluate keepalived's @ID conditional lines as 'keepalived -i ID'\n"
               "                     (without it such lines are skipped with a warning)\n\n"
               "Exit status: 0 converted (maybe with warnings), 1 errors in the input, or\n"
               "warnings with --strict, 2 usage.\n");
}

/* Writes data to path through a temporary file in the same directory, so a
 * reader never sees half a configuration. */
static int write_atomic(const char *path, const char *data, size_t len) {
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int fd = -EBADF;

        if (asprintf(&tmp, "%s.XXXXXX", path) < 0)
                return -ENOMEM;
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return -errno;
        for (size_t off = 0; off < len;) {
                ssize_t n = write(fd, data + off, len - off);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        int r = -errno;
                        unlink(tmp);
                        return r;
                }
                off += (size_t) n;
        }
        if (fchmod(fd, 0644) < 0 || fsync(fd) < 0 || rename(tmp, path) < 0) {
                int r = -errno;
                unlink(tmp);
                return r;
        }
        return 0;
}

static int verb_convert(int argc, char **argv) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "output", required_argument, NULL, 'o' },
                { "strict", no_argument, NULL, 's' },
                { "config-id", required_argument, NULL, 'i' },
                {}
        };
        const char *output = NULL, *config_id = NULL;
        _cleanup_free_ char *yaml = NULL;
        KcDiags diags = {};
        bool strict = false;
        int c, r;

        while ((c = getopt_long(argc, argv, "ho:i:", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        convert_help();
                        return 0;
                case 'o':
                        output = optarg;
                        break;
                case 's':
                        strict = true;
                        break;
                case 'i':
                        config_id = optarg;
                        break;
                default:
                        return -EINVAL;
                }
        if (optind + 1 != argc) {
                log_error("Expected exactly one keepalived configuration file (or - for stdin). "
                          "See 'vigilctl convert --help'.");
                return -EINVAL;
        }

        r = kc_convert_file(argv[optind], config_id, &diags, &yaml);
        kc_diags_print(&diags, stderr);
        if (r < 0) {
                fprintf(stderr, "%s: not converted: %zu error%s.\n", argv[optind], diags.n_errors,
                        diags.n_errors == 1 ? "" : "s");
                kc_diags_free(&diags);
                return 1;
        }
        /* The result must also pass the configuration check where it is converted;
         * it may not (a script path that only exists on the target machine):
         * say so, with the YAML locations, as a warning. */
        size_t check_problems = 0;
        if (strlen(yaml) > CHECK_MAX_BYTES)
                /* the config model's loader is slow on very large files (see the report); do not make
                 * a 10 MB conversion wait minutes for it */
                fprintf(stderr, "%s: note: the result is larger than %u KiB and was not checked here: run "
                                "'vigilctl check-config' on it\n", argv[optind], CHECK_MAX_BYTES / 1024);
        else {
                ConfDiags cd = {};
                Config *conf = NULL;
                const char *name = output ? output : "(converted)";
                if (config_load_string(name, yaml, strlen(yaml), &conf, &cd) < 0) {
                        fprintf(stderr, "%s: warning: the converted configuration does not pass the configuration "
                                        "check here:\n", argv[optind]);
                        conf_diags_print(&cd, stderr);
                        check_problems = cd.n_errors > 0 ? cd.n_errors : 1;
                }
                config_free(conf);
                conf_diags_free(&cd);
        }
        if (strict && (diags.n_warnings > 0 || check_problems > 0)) {
                if (diags.n_warnings == 0) {
                        fprintf(stderr, "%s: not converted (--strict): the result does not pass the configuration "
                                        "check.\n", argv[optind]);
                        kc_diags_free(&diags);
                        return 1;
                }
                fprintf(stderr, "%s: not converted (--strict): %zu keyword%s could not be converted as they are.\n",
                        argv[optind], diags.n_warnings, diags.n_warnings == 1 ? "" : "s");
                kc_diags_free(&diags);
                return 1;
        }
        kc_diags_free(&diags);

        if (output) {
                r = write_atomic(output, yaml, strlen(yaml));
                if (r < 0) {
                        log_error_errno(r, "Failed to write %s: %s", output, strerror(-r));
                        return 1;
                }
                return 0;
        }
        if (fputs(yaml, stdout) < 0 || fflush(stdout) != 0) {
                log_error("Failed to write the configuration to stdout.");
                return 1;
        }
        return 0;
}

VIGILCTL_VERB(convert, "convert", "KEEPALIVED_CONF [-o OUT] [--strict]",
              "Convert a keepalived.conf to vigil.yaml", verb_convert);
