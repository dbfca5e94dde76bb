/* SPDX-License-Identifier: GPL-2.0-or-later */
/* keepalived.conf parser: line preprocessing (comments, include, @conditionals,
 * $parameters), tokenizer and tree builder. Pure: buffers in, tree out; the
 * only way out to the file system is the include callback. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kconf-tree.h"

typedef struct KcVar {
        char *name;
        char *value; /* lines separated by '\n' for multi-line definitions */
} KcVar;

struct KcParser {
        KcParseOptions opts;
        KcDiags *diags;
        char **files;
        size_t n_files;

        KcNode *root;
        KcNode *stack[KC_MAX_DEPTH + 1]; /* stack[0] = root */
        size_t depth;
        KcNode *cur;  /* statement being read on the current line */
        KcNode *last; /* last statement (without block) in the current block: "{" may follow on the next line */
        size_t overflow; /* blocks opened beyond KC_MAX_DEPTH (ignored, but their '}' must match) */

        KcVar *vars;
        size_t n_vars;

        /* multi-line definition being read */
        char *ml_name;
        char *ml_value;
        size_t ml_len;
        const char *ml_file;
        unsigned ml_line;

        size_t total_input;
        size_t errors;
        unsigned include_depth;
        bool aborted;
        bool oom;

        /* file and line being processed, and its directory for ${_PWD} */
        const char *file;
        unsigned line;
};

static void perr(KcParser *p, const char *fmt, ...) _printf_(2, 3);
static void perr(KcParser *p, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        kc_diagv(p->diags, KC_ERROR, p->file, p->line, fmt, ap);
        va_end(ap);
        if (++p->errors >= KC_MAX_ERRORS && !p->aborted) {
                p->aborted = true;
                kc_diag(p->diags, KC_ERROR, p->file, p->line, "too many errors, giving up");
        }
}

static void pwarn(KcParser *p, const char *fmt, ...) _printf_(2, 3);
static void pwarn(KcParser *p, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        kc_diagv(p->diags, KC_WARNING, p->file, p->line, fmt, ap);
        va_end(ap);
}

int kc_parser_new(const KcParseOptions *o, KcDiags *diags, KcParser **ret) {
        KcParser *p = calloc(1, sizeof *p);
        if (!p)
                return -ENOMEM;
        if (o)
                p->opts = *o;
        p->diags = diags;
        p->root = kc_node_new(NULL, NULL, 0);
        p->files = calloc(1, sizeof(char *));
        if (!p->root || !p->files) {
                kc_parser_free(p);
                return -ENOMEM;
        }
        p->stack[0] = p->root;
        *ret = p;
        return 0;
}

KcParser *kc_parser_free(KcParser *p) {
        if (!p)
                return NULL;
        kc_node_free(p->root);
        strv_free(p->files);
        for (size_t i = 0; i < p->n_vars; i++) {
                free(p->vars[i].name);
                free(p->vars[i].value);
        }
        free(p->vars);
        free(p->ml_name);
        free(p->ml_value);
        free(p);
        return NULL;
}

const char *kc_parser_add_file(KcParser *p, const char *name) {
        for (size_t i = 0; i < p->n_files; i++)
                if (streq(p->files[i], name))
                        return p->files[i];
        char *s = strdup(name);
        if (!s)
                return NULL;
        char **f = realloc(p->files, (p->n_files + 2) * sizeof *f);
        if (!f) {
                free(s);
                return NULL;
        }
        p->files = f;
        p->files[p->n_files++] = s;
        p->files[p->n_files] = NULL;
        return s;
}

unsigned kc_parser_include_depth(const KcParser *p) {
        return p->include_depth;
}

/* ---- parameters ---- */

static KcVar *var_find(KcParser *p, const char *name, size_t len) {
        for (size_t i = 0; i < p->n_vars; i++)
                if (strlen(p->vars[i].name) == len && strneq(p->vars[i].name, name, len))
                        return &p->vars[i];
        return NULL;
}

static int var_set(KcParser *p, const char *name, size_t len, const char *value) {
        char *v = strdup(value);
        if (!v)
                return -ENOMEM;
        KcVar *var = var_find(p, name, len);
        if (var) {
                free(var->value);
                var->value = v;
                return 0;
        }
        KcVar *vars = realloc(p->vars, (p->n_vars + 1) * sizeof *vars);
        if (!vars) {
                free(v);
                return -ENOMEM;
        }
        p->vars = vars;
        char *n = strndup(name, len);
        if (!n) {
                free(v);
                return -ENOMEM;
        }
        p->vars[p->n_vars++] = (KcVar) { .name = n, .value = v };
        return 0;
}

static bool is_name_start(char c) {
        return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}
static bool is_name_char(char c) {
        return is_name_start(c) || (c >= '0' && c <= '9');
}
static bool is_blank(char c) {
        return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r';
}

/* The value of a predefined or user parameter, or NULL if it is not defined
 * (then keepalived leaves the text alone). *tmp holds a generated value. */
static const char *param_value(KcParser *p, const char *name, size_t len, char **tmp) {
        KcVar *v = var_find(p, name, len);
        if (v)
                return v->value;
        if (len == 4 && strneq(name, "_PWD", 4)) {
                const char *slash = p->file ? strrchr(p->file, '/') : NULL;
                if (!slash)
                        return ".";
                *tmp = strndup(p->file, slash == p->file ? 1 : (size_t) (slash - p->file));
                return *tmp;
        }
        if (len == 5 && strneq(name, "_HASH", 5))
                return "#";
        if (len == 5 && strneq(name, "_BANG", 5))
                return "!";
        if (len == 9 && strneq(name, "_INSTANCE", 9)) {
                if (p->opts.config_id)
                        return p->opts.config_id;
                pwarn(p, "parameter '${_INSTANCE}' cannot be evaluated without --config-id: left as is");
                return NULL;
        }
        if (len >= 7 && strneq(name, "_RANDOM", 7)) {
                pwarn(p, "parameter '${_RANDOM}' not supported: a converted configuration must be stable, left as is");
                return NULL;
        }
        return NULL;
}

typedef struct Buf {
        char *data;
        size_t len, cap;
} Buf;

static int buf_put(Buf *b, const char *s, size_t n) {
        if (b->len + n + 1 > b->cap) {
                size_t cap = MAX(b->cap * 2, b->len + n + 1);
                char *d = realloc(b->data, cap);
                if (!d)
                        return -ENOMEM;
                b->data = d;
                b->cap = cap;
        }
        memcpy(b->data + b->len, s, n);
        b->len += n;
        b->data[b->len] = '\0';
        return 0;
}

/* Appends s[0..len) to out with $NAME (followed by a blank or the end) and
 * ${NAME} replaced. Replacement is recursive (the value is expanded in turn),
 * which is what keepalived's rescan of the inserted text amounts to; the
 * output is bounded, so a definition that refers to itself stops with an error. */
static int expand(KcParser *p, const char *s, size_t len, Buf *out, unsigned depth, bool *changed) {
        size_t i = 0;
        int r;

        if (depth > 32) {
                perr(p, "parameter definitions refer to each other more than 32 deep (recursive definition?)");
                return -ELOOP;
        }
        while (i < len) {
                const char *d = memchr(s + i, '$', len - i);
                size_t at = d ? (size_t) (d - s) : len;
                r = buf_put(out, s + i, at - i);
                if (r < 0)
                        return r;
                if (!d)
                        break;
                size_t name_start, name_len, ref_len;
                const char *close = at + 1 < len && s[at + 1] == '{' ? memchr(s + at + 2, '}', len - at - 2) : NULL;
                if (close) {
                        name_start = at + 2;
                        name_len = (size_t) (close - (s + at + 2));
                        ref_len = name_len + 3;
                } else if (at + 1 < len && is_name_start(s[at + 1])) {
                        name_start = at + 1;
                        name_len = 0;
                        while (name_start + name_len < len && is_name_char(s[name_start + name_len]))
                                name_len++;
                        ref_len = name_len + 1;
                        /* "$NAME" counts only when a blank or the end follows */
                        if (name_start + name_len < len && !is_blank(s[name_start + name_len]) &&
                            s[name_start + name_len] != '\n')
                                name_len = 0;
                } else
                        name_len = 0;
                _cleanup_free_ char *tmp = NULL;
                const char *value = name_len > 0 ? param_value(p, s + name_start, name_len, &tmp) : NULL;
                if (!value) {
                        r = buf_put(out, "$", 1);
                        if (r < 0)
                                return r;
                        i = at + 1;
                        continue;
                }
                *changed = true;
                r = expand(p, value, strlen(value), out, depth + 1, changed);
                if (r < 0)
                        return r;
                if (out->len > KC_MAX_LINE_EXPANSION) {
                        perr(p, "parameter substitution produces more than %u bytes (recursive definition?)",
                             KC_MAX_LINE_EXPANSION);
                        return -E2BIG;
                }
                i = at + ref_len;
        }
        return 0;
}

/* Returns 1 and the substituted line in *ret, or 0 when nothing was replaced. */
static int substitute(KcParser *p, const char *in, char **ret) {
        Buf out = {};
        bool changed = false;

        *ret = NULL;
        if (!strchr(in, '$'))
                return 0;
        int r = expand(p, in, strlen(in), &out, 0, &changed);
        if (r < 0 || !changed) {
                free(out.data);
                return r;
        }
        *ret = out.data;
        return 1;
}

/* ---- tokens and tree ---- */

static bool utf8_valid(const char *s) {
        const unsigned char *c = (const unsigned char *) s;
        while (*c) {
                unsigned n;
                uint32_t cp;
                if (*c < 0x80) {
                        c++;
                        continue;
                } else if ((*c & 0xe0) == 0xc0) {
                        n = 1;
                        cp = *c & 0x1f;
                } else if ((*c & 0xf0) == 0xe0) {
                        n = 2;
                        cp = *c & 0x0f;
                } else if ((*c & 0xf8) == 0xf0) {
                        n = 3;
                        cp = *c & 0x07;
                } else
                        return false;
                c++;
                for (unsigned i = 0; i < n; i++, c++) {
                        if ((*c & 0xc0) != 0x80)
                                return false;
                        cp = (cp << 6) | (*c & 0x3f);
                }
                if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
                    (cp >= 0xd800 && cp <= 0xdfff))
                        return false;
        }
        return true;
}

static void tree_word(KcParser *p, const char *w) {
        int r;

        if (p->cur) {
                r = kc_node_add_arg(p->cur, w);
        } else {
                KcNode *n = kc_node_new(w, p->file, p->line);
                if (!n) {
                        p->oom = true;
                        return;
                }
                r = kc_node_add_child(p->stack[p->depth], n);
                if (r < 0) {
                        kc_node_free(n);
                } else {
                        p->cur = n;
                        p->last = NULL;
                }
        }
        if (r < 0)
                p->oom = true;
}

static void tree_open(KcParser *p) {
        KcNode *n = p->cur;
        if (!n) {
                /* "vrrp_instance VI_1" then "{" on the next line. */
                n = p->last;
                if (!n) {
                        perr(p, "'{' without a keyword before it");
                        return;
                }
        }
        if (p->depth >= KC_MAX_DEPTH) {
                if (p->overflow++ == 0)
                        perr(p, "blocks nested more than %u deep", KC_MAX_DEPTH);
                p->cur = p->last = NULL;
                return;
        }
        n->block = true;
        p->stack[++p->depth] = n;
        p->cur = p->last = NULL;
}

static void tree_close(KcParser *p) {
        p->cur = p->last = NULL;
        if (p->overflow > 0) {
                p->overflow--;
                return;
        }
        if (p->depth == 0) {
                perr(p, "unbalanced '}': no block is open");
                return;
        }
        p->depth--;
}

static void tree_end_line(KcParser *p) {
        if (p->cur && !p->cur->block)
                p->last = p->cur;
        p->cur = NULL;
}

/* keepalived's escapes inside quotes: \a \b \E \f \n \r \t \v \nnn \xXX \cC \C. */
static size_t unescape(const char *s, char *out) {
        switch (*s) {
        case 'a': *out = '\a'; return 1;
        case 'b': *out = '\b'; return 1;
        case 'E': *out = 0x1b; return 1;
        case 'f': *out = '\f'; return 1;
        case 'n': *out = '\n'; return 1;
        case 'r': *out = '\r'; return 1;
        case 't': *out = '\t'; return 1;
        case 'v': *out = '\v'; return 1;
        case 'c':
                if (s[1]) {
                        *out = (char) (toupper((unsigned char) s[1]) ^ 0x40);
                        return 2;
                }
                *out = 'c';
                return 1;
        case 'x': {
                unsigned v = 0, n = 0;
                while (n < 2 && isxdigit((unsigned char) s[1 + n])) {
                        char c = s[1 + n];
                        v = v * 16 + (unsigned) (isdigit((unsigned char) c) ? c - '0' : (tolower((unsigned char) c) - 'a' + 10));
                        n++;
                }
                if (n == 0) {
                        *out = 'x';
                        return 1;
                }
                *out = (char) v;
                return 1 + n;
        }
        default:
                if (*s >= '0' && *s <= '7') {
                        unsigned v = 0, n = 0;
                        while (n < 3 && s[n] >= '0' && s[n] <= '7') {
                                v = v * 8 + (unsigned) (s[n] - '0');
                                n++;
                        }
                        *out = (char) (v & 0xff);
                        return n;
                }
                *out = *s;
                return 1;
        }
}

static void tokenize(KcParser *p, const char *line) {
        size_t len = strlen(line);
        _cleanup_free_ char *word = malloc(len + 1);
        const char *c = line;

        if (!word) {
                p->oom = true;
                return;
        }
        while (*c && !p->aborted) {
                if (is_blank(*c)) {
                        c++;
                        continue;
                }
                if (*c == '{') {
                        tree_open(p);
                        c++;
                        continue;
                }
                if (*c == '}') {
                        tree_close(p);
                        c++;
                        continue;
                }
                size_t n = 0;
                bool nul = false;
                while (*c && !is_blank(*c) && *c != '{' && *c != '}') {
                        if (c[0] == '$' && c[1] == '{' && strchr(c + 2, '}')) {
                                /* an undefined ${NAME} stays as it is, braces included */
                                while (*c != '}')
                                        word[n++] = *c++;
                                word[n++] = *c++;
                        } else if (*c == '"' || *c == '\'') {
                                char q = *c++;
                                while (*c && *c != q) {
                                        if (*c == '\\' && c[1]) {
                                                c++;
                                                c += unescape(c, &word[n]);
                                                if (word[n] == '\0')
                                                        nul = true;
                                                n++;
                                        } else
                                                word[n++] = *c++;
                                }
                                if (!*c) {
                                        perr(p, "unterminated quoted string (missing %c)", q);
                                        tree_end_line(p);
                                        return;
                                }
                                c++;
                        } else
                                word[n++] = *c++;
                }
                word[n] = '\0';
                if (nul) {
                        perr(p, "NUL character (\\0 escape) in a quoted string");
                        continue;
                }
                if (!utf8_valid(word)) {
                        perr(p, "invalid UTF-8 in a value (binary data? only comments may hold non-UTF-8 text)");
                        continue;
                }
                tree_word(p, word);
        }
        tree_end_line(p);
}

/* Removes a '#' or '!' comment that is not inside quotes. */
static void strip_comment(char *s) {
        char q = 0;
        for (char *c = s; *c; c++) {
                if (q) {
                        if (*c == '\\' && c[1])
                                c++;
                        else if (*c == q)
                                q = 0;
                } else if (*c == '"' || *c == '\'')
                        q = *c;
                else if (*c == '#' || *c == '!') {
                        *c = '\0';
                        return;
                }
        }
}

static char *skip_blanks(char *s) {
        while (is_blank(*s))
                s++;
        return s;
}

static void rstrip(char *s) {
        size_t n = strlen(s);
        while (n > 0 && (is_blank(s[n - 1]) || s[n - 1] == '\n'))
                s[--n] = '\0';
}

static bool is_include(const char *w, size_t len) {
        static const char *const kw[] = { "include", "includer", "includem", "includew", "includeb", "includea" };
        for (size_t i = 0; i < ELEMENTSOF(kw); i++)
                if (strlen(kw[i]) == len && strneq(kw[i], w, len))
                        return true;
        return false;
}

static void ml_finish(KcParser *p) {
        if (!p->ml_name)
                return;
        if (var_set(p, p->ml_name, strlen(p->ml_name), p->ml_value ? p->ml_value : "") < 0)
                p->oom = true;
        free(p->ml_name);
        free(p->ml_value);
        p->ml_name = p->ml_value = NULL;
        p->ml_len = 0;
}

static int ml_append(KcParser *p, const char *s) {
        size_t n = strlen(s);
        if (p->ml_len + n + 2 > KC_MAX_LINE_EXPANSION) {
                perr(p, "multi-line definition of '$%s' longer than %u bytes", p->ml_name, KC_MAX_LINE_EXPANSION);
                return -E2BIG;
        }
        char *v = realloc(p->ml_value, p->ml_len + n + 2);
        if (!v)
                return -ENOMEM;
        p->ml_value = v;
        if (p->ml_len > 0)
                p->ml_value[p->ml_len++] = '\n';
        memcpy(p->ml_value + p->ml_len, s, n + 1);
        p->ml_len += n;
        return 0;
}

static void process_line(KcParser *p, char *text, unsigned depth);

static void process_expanded(KcParser *p, char *s, unsigned depth) {
        if (depth >= KC_MAX_SUBST_DEPTH) {
                perr(p, "parameter definitions nested more than %u deep", KC_MAX_SUBST_DEPTH);
                return;
        }
        /* Multi-line values become several lines; each is processed in full
         * (conditionals, definitions, further substitution). */
        char *save = NULL;
        for (char *l = strtok_r(s, "\n", &save); l && !p->aborted; l = strtok_r(NULL, "\n", &save))
                process_line(p, l, depth + 1);
}

static void process_line(KcParser *p, char *text, unsigned depth) {
        char *s;

        /* Comments are removed from source lines only: text produced by
         * substitution may hold ${_HASH}/${_BANG} on purpose. */
        if (depth == 0)
                strip_comment(text);
        rstrip(text);

        if (depth == 0 && p->ml_name) {
                size_t n = strlen(text);
                bool more = n > 0 && text[n - 1] == '\\';
                if (more)
                        text[n - 1] = '\0';
                rstrip(text);
                if (ml_append(p, skip_blanks(text)) < 0) {
                        free(p->ml_name);
                        p->ml_name = NULL;
                        return;
                }
                if (!more)
                        ml_finish(p);
                return;
        }

        s = skip_blanks(text);
        if (*s == '\0')
                return;

        /* include comes before conditionals and substitution, as in keepalived */
        size_t wl = strcspn(s, " \t\v\f\r");
        if (is_include(s, wl)) {
                char *pat = skip_blanks(s + wl);
                size_t pl = strlen(pat);
                if (pl >= 2 && (pat[0] == '"' || pat[0] == '\'') && pat[pl - 1] == pat[0]) {
                        pat[pl - 1] = '\0';
                        pat++;
                }
                if (*pat == '\0') {
                        perr(p, "'%.*s' without a file name", (int) wl, s);
                        return;
                }
                if (!p->opts.include) {
                        perr(p, "'%.*s %s': includes are not available here", (int) wl, s, pat);
                        return;
                }
                /* The callback feeds the files: locations inside them are theirs. */
                const char *file = p->file;
                unsigned line = p->line;
                KcNode *cur = p->cur, *last = p->last;
                p->cur = p->last = NULL;
                (void) p->opts.include(p, pat, file, line, p->opts.userdata);
                p->file = file;
                p->line = line;
                p->cur = cur;
                p->last = last;
                return;
        }

        if (*s == '@') {
                bool neg = s[1] == '^';
                char *id = s + 1 + neg;
                size_t il = strcspn(id, " \t\v\f\r");
                if (il == 0) {
                        perr(p, "'@' without a configuration id");
                        return;
                }
                if (!p->opts.config_id) {
                        pwarn(p, "conditional '@%s%.*s' cannot be evaluated without --config-id: line skipped",
                              neg ? "^" : "", (int) il, id);
                        return;
                }
                bool match = strlen(p->opts.config_id) == il && strneq(p->opts.config_id, id, il);
                if (match == neg)
                        return;
                s = skip_blanks(id + il);
                if (*s == '\0')
                        return;
        }

        if (*s == '$' && is_name_start(s[1])) {
                size_t nl = 1;
                while (is_name_char(s[nl]))
                        nl++;
                if (s[nl] == '=') {
                        char *value = skip_blanks(s + nl + 1);
                        if (streq(value, "\\")) {
                                free(p->ml_name);
                                free(p->ml_value);
                                p->ml_value = NULL;
                                p->ml_len = 0;
                                p->ml_name = strndup(s + 1, nl - 1);
                                p->ml_file = p->file;
                                p->ml_line = p->line;
                                if (!p->ml_name)
                                        p->oom = true;
                                return;
                        }
                        if (var_set(p, s + 1, nl - 1, value) < 0)
                                p->oom = true;
                        return;
                }
        }

        if (s[0] == '~' && (strneq(s, "~SEQ", 4) || strneq(s, "~LST", 4))) {
                pwarn(p, "keyword '%.4s' not supported: sequence and list blocks are not expanded, line skipped", s);
                return;
        }

        _cleanup_free_ char *expanded = NULL;
        int r = substitute(p, s, &expanded);
        if (r < 0) {
                if (r == -ENOMEM)
                        p->oom = true;
                return;
        }
        if (r > 0) {
                process_expanded(p, expanded, depth);
                return;
        }
        tokenize(p, s);
}

int kc_parser_feed(KcParser *p, const char *name, const char *data, size_t len) {
        const char *saved_file = p->file;
        unsigned saved_line = p->line;
        size_t errors = p->diags->n_errors;
        _cleanup_free_ char *buf = NULL;
        size_t bufsz = 0;
        int r = 0;

        if (p->aborted)
                return -EINVAL;
        p->file = name;
        p->line = 0;
        if (len > KC_MAX_INPUT - p->total_input) {
                kc_diag(p->diags, KC_ERROR, name, 0, "configuration too large: more than %u MiB in all files",
                        KC_MAX_INPUT / (1024 * 1024));
                p->aborted = true;
                r = -E2BIG;
                goto out;
        }
        p->total_input += len;
        p->include_depth++;

        const char *c = data, *end = data + len;
        /* editors on Windows start files with a UTF-8 byte order mark */
        if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
                c += 3;
        while (c < end && !p->aborted && !p->oom) {
                const char *nl = memchr(c, '\n', (size_t) (end - c));
                size_t ll = nl ? (size_t) (nl - c) : (size_t) (end - c);
                p->line++;
                if (memchr(c, '\0', ll)) {
                        perr(p, "NUL byte: this is binary data, not a keepalived configuration");
                        r = -EINVAL;
                        break;
                }
                if (ll + 1 > bufsz) {
                        free(buf);
                        bufsz = ll + 1;
                        buf = malloc(bufsz);
                        if (!buf) {
                                bufsz = 0;
                                p->oom = true;
                                break;
                        }
                }
                memcpy(buf, c, ll);
                buf[ll] = '\0';
                process_line(p, buf, 0);
                c = nl ? nl + 1 : end;
        }
        if (p->ml_name && p->ml_file == name) {
                /* A definition ending with '\' on the last line: keepalived ends it at EOF too. */
                ml_finish(p);
        }
        p->include_depth--;
out:
        if (p->oom) {
                kc_diag(p->diags, KC_ERROR, name, p->line, "out of memory");
                p->aborted = true;
                r = -ENOMEM;
        }
        p->file = saved_file;
        p->line = saved_line;
        if (r == 0 && p->diags->n_errors > errors)
                r = -EINVAL;
        return r;
}

int kc_parser_finish(KcParser *p, KcTree **ret) {
        if (!p->aborted)
                for (size_t d = p->depth; d > 0; d--) {
                        KcNode *n = p->stack[d];
                        kc_diag(p->diags, KC_ERROR, n->file, n->line,
                                "unbalanced '{': block '%s%s%s' opened here is never closed (truncated file?)",
                                n->keyword, n->n_args > 0 ? " " : "", n->n_args > 0 ? n->args[0] : "");
                }
        if (p->diags->n_errors > 0)
                return -EINVAL;

        KcTree *t = calloc(1, sizeof *t);
        if (!t)
                return -ENOMEM;
        t->root = TAKE_PTR(p->root);
        t->files = TAKE_PTR(p->files);
        p->n_files = 0;
        *ret = t;
        return 0;
}

int kc_parse_string(const char *name, const char *data, size_t len, const char *config_id, KcDiags *diags,
                    KcTree **ret) {
        _cleanup_(kc_parser_freep) KcParser *p = NULL;
        KcParseOptions o = { .config_id = config_id };
        int r;

        r = kc_parser_new(&o, diags, &p);
        if (r < 0)
                return r;
        const char *f = kc_parser_add_file(p, name);
        if (!f)
                return -ENOMEM;
        r = kc_parser_feed(p, f, data, len);
        if (r == -ENOMEM)
                return r;
        /* Even with errors, finish: it adds the unclosed-block errors. */
        int k = kc_parser_finish(p, ret);
        if (k == 0 && r < 0)
                *ret = kc_tree_free(*ret);
        return r < 0 ? r : k;
}

int kc_split_command(const char *s, char ***ret) {
        size_t n = 0, len = strlen(s);
        _cleanup_strv_free_ char **argv = calloc(1, sizeof(char *));
        _cleanup_free_ char *w = malloc(len + 1);

        if (!argv || !w)
                return -ENOMEM;
        const char *c = s;
        for (;;) {
                while (is_blank(*c) || *c == '\n')
                        c++;
                if (!*c)
                        break;
                size_t k = 0;
                while (*c && !is_blank(*c) && *c != '\n') {
                        if (*c == '\'' || *c == '"') {
                                char q = *c++;
                                while (*c && *c != q) {
                                        if (q == '"' && *c == '\\' && c[1])
                                                c++;
                                        w[k++] = *c++;
                                }
                                if (!*c)
                                        return -EINVAL;
                                c++;
                        } else if (*c == '\\' && c[1]) {
                                c++;
                                w[k++] = *c++;
                        } else
                                w[k++] = *c++;
                }
                w[k] = '\0';
                char **a = realloc(argv, (n + 2) * sizeof *a);
                if (!a)
                        return -ENOMEM;
                argv = a;
                argv[n] = strdup(w);
                if (!argv[n])
                        return -ENOMEM;
                argv[++n] = NULL;
        }
        *ret = TAKE_PTR(argv);
        return 0;
}
