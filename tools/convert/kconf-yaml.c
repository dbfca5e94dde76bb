/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>

#include "kconf-yaml.h"
#include "macro.h"

void y_quote(FILE *f, const char *s) {
        fputc('"', f);
        for (const unsigned char *c = (const unsigned char *) s; *c; c++)
                switch (*c) {
                case '"':
                        fputs("\\\"", f);
                        break;
                case '\\':
                        fputs("\\\\", f);
                        break;
                case '\t':
                        fputs("\\t", f);
                        break;
                case '\n':
                        fputs("\\n", f);
                        break;
                case '\r':
                        fputs("\\r", f);
                        break;
                default:
                        if (*c < 0x20 || *c == 0x7f)
                                fprintf(f, "\\x%02x", *c);
                        else
                                fputc(*c, f);
                }
        fputc('"', f);
}

char *y_quoted(const char *s) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        if (!f)
                return NULL;
        y_quote(f, s);
        if (fclose(f) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}

void y_flow_strv(FILE *f, char *const *v) {
        fputc('[', f);
        for (size_t i = 0; v && v[i]; i++) {
                if (i > 0)
                        fputs(", ", f);
                y_quote(f, v[i]);
        }
        fputc(']', f);
}

char *y_flow_strv_string(char *const *v) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        if (!f)
                return NULL;
        y_flow_strv(f, v);
        if (fclose(f) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}
