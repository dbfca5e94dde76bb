/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "kconf-yaml.h"
#include "macro.h"

/* Length of a valid UTF-8 sequence at c and its code point, 0 if invalid. */
static size_t utf8_seq(const unsigned char *c, uint32_t *cp) {
        size_t n;
        if (*c < 0x80) {
                *cp = *c;
                return 1;
        } else if ((*c & 0xe0) == 0xc0) {
                n = 2;
                *cp = *c & 0x1f;
        } else if ((*c & 0xf0) == 0xe0) {
                n = 3;
                *cp = *c & 0x0f;
        } else if ((*c & 0xf8) == 0xf0) {
                n = 4;
                *cp = *c & 0x07;
        } else
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((c[i] & 0xc0) != 0x80)
                        return 0;
                *cp = (*cp << 6) | (c[i] & 0x3f);
        }
        if ((n == 2 && *cp < 0x80) || (n == 3 && *cp < 0x800) || (n == 4 && *cp < 0x10000) || *cp > 0x10ffff ||
            (*cp >= 0xd800 && *cp <= 0xdfff))
                return 0;
        return n;
}

/* YAML's printable set (1.2 §5.1): no C0/C1 controls but tab/LF/CR/NEL, no DEL, no U+FFFE/FFFF. */
static bool yaml_printable(uint32_t cp) {
        return (cp >= 0x20 && cp < 0x7f) || cp == 0x85 || (cp >= 0xa0 && cp <= 0xd7ff) ||
               (cp >= 0xe000 && cp <= 0xfffd) || cp >= 0x10000;
}

void y_comment(FILE *f, const char *s) {
        for (const unsigned char *c = (const unsigned char *) s; *c;) {
                uint32_t cp;
                size_t n = utf8_seq(c, &cp);
                if (n == 0 || cp == 0x85 || !yaml_printable(cp)) {
                        fputc('?', f);
                        c += n ? n : 1;
                        continue;
                }
                fwrite(c, 1, n, f);
                c += n;
        }
}

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
                default: {
                        uint32_t cp;
                        size_t n = utf8_seq(c, &cp);
                        if (n == 0)
                                fprintf(f, "\\x%02x", *c); /* not UTF-8: the tokenizer prevents it, stay safe */
                        else if (!yaml_printable(cp)) {
                                fprintf(f, cp < 0x100 ? "\\x%02x" : "\\u%04x", (unsigned) cp);
                                c += n - 1;
                        } else {
                                fwrite(c, 1, n, f);
                                c += n - 1;
                        }
                }
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
