/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* keepalived.conf syntax: a generic tree of statements (keyword, arguments,
 * optional block of children, file and line), and the parser that builds it.
 *
 * The parser is pure: it works on buffers. Only `include` needs the file
 * system, so it calls back into the reader (kconf-read.c); the fuzz target and
 * the unit tests feed buffers directly. It follows keepalived's own order of
 * processing for each line: comments are stripped (outside quotes), `include`
 * is recognised, then `@id` conditionals, then `$NAME=value` definitions and
 * `$NAME`/`${NAME}` substitution, and last the line is split into words and
 * braces. Braces are tokens of their own wherever they appear, so blocks can
 * open and close on the line of their contents. */

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

/* Hard limits, so hostile input gives an error instead of eating the machine. */
#define KC_MAX_DEPTH 64                    /* nested blocks */
#define KC_MAX_INCLUDE_DEPTH 16
#define KC_MAX_INPUT (64u * 1024u * 1024u) /* bytes over all files */
#define KC_MAX_LINE_EXPANSION (1u << 20)   /* bytes produced by substitution for one source line */
#define KC_MAX_SUBST_DEPTH 16              /* nested multi-line definitions */
#define KC_MAX_ERRORS 20                   /* parsing stops after this many errors */
#define KC_MAX_DIAGS_PRINTED 1000

/* ---- diagnostics ---- */

typedef enum KcSeverity {
        KC_WARNING, /* something is not mapped or not evaluated: exit 0 unless --strict */
        KC_ERROR,   /* the input is wrong: exit 1 */
} KcSeverity;

typedef struct KcDiag {
        KcSeverity severity;
        char *file;       /* may be NULL */
        unsigned line;    /* 0 = no line */
        char *message;
} KcDiag;

typedef struct KcDiags {
        KcDiag *items;
        size_t n;
        size_t n_errors;
        size_t n_warnings;
} KcDiags;

void kc_diag(KcDiags *d, KcSeverity sev, const char *file, unsigned line, const char *fmt, ...) _printf_(5, 6);
void kc_diagv(KcDiags *d, KcSeverity sev, const char *file, unsigned line, const char *fmt, va_list ap) _printf_(5, 0);
/* "FILE:LINE: message" (warnings) / "FILE:LINE: error: message" (errors), in the order found. */
void kc_diags_print(const KcDiags *d, FILE *f);
void kc_diags_free(KcDiags *d);

/* ---- the tree ---- */

typedef struct KcNode {
        char *keyword;           /* NULL for the root */
        char **args;             /* NULL-terminated, never NULL */
        size_t n_args;
        struct KcNode **children;
        size_t n_children;
        bool block;              /* had { } (possibly empty) */
        const char *file;        /* owned by KcTree.files */
        unsigned line;
} KcNode;

typedef struct KcTree {
        KcNode *root;
        char **files;            /* every file read, first = main; strv */
} KcTree;

KcTree *kc_tree_free(KcTree *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(KcTree *, kc_tree_free);
void kc_node_free(KcNode *n);

/* Appends a child to a node (used by the parser and by mapper normalisation). */
int kc_node_add_child(KcNode *parent, KcNode *child);
KcNode *kc_node_new(const char *keyword, const char *file, unsigned line);
int kc_node_add_arg(KcNode *n, const char *arg);

/* Prints the tree in keepalived syntax (for tests and debugging). */
void kc_tree_dump(const KcNode *n, FILE *f, unsigned indent);

/* ---- the parser ---- */

typedef struct KcParser KcParser;

/* Called for `include PATTERN` (and includer/includem/...). The reader expands
 * the glob relative to the directory of from_file and calls kc_parser_feed()
 * for each file. Returns 0 or a negative errno (an error diag is added by the
 * callee). Without a callback includes are reported as errors. */
typedef int (*KcIncludeFunc)(KcParser *p, const char *pattern, const char *from_file, unsigned line,
                             void *userdata);

typedef struct KcParseOptions {
        /* keepalived's config-id (-i): evaluates `@id` lines. NULL: such lines
         * cannot be evaluated and are skipped with a warning. */
        const char *config_id;
        KcIncludeFunc include;
        void *userdata;
} KcParseOptions;

int kc_parser_new(const KcParseOptions *o, KcDiags *diags, KcParser **ret);
KcParser *kc_parser_free(KcParser *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(KcParser *, kc_parser_free);

/* Registers a file name (for locations); returns the stable copy. */
const char *kc_parser_add_file(KcParser *p, const char *name);
/* Nesting of feeds (includes) so the reader can bound it. */
unsigned kc_parser_include_depth(const KcParser *p);
/* Parses one file's bytes. name must come from kc_parser_add_file(). Nested
 * calls (from the include callback) continue the same tree. Returns 0, or
 * -EINVAL when this buffer had an error (diags hold the details), -E2BIG when
 * the total input limit was hit. */
int kc_parser_feed(KcParser *p, const char *name, const char *data, size_t len);
/* Closes the tree: reports unclosed blocks. On success hands over the tree. */
int kc_parser_finish(KcParser *p, KcTree **ret);

/* Convenience for tests and fuzzing: one buffer, no includes. */
int kc_parse_string(const char *name, const char *data, size_t len, const char *config_id, KcDiags *diags,
                    KcTree **ret);

/* Splits a script string the way keepalived does for execve(): words
 * separated by blanks, '...' and "..." group (quotes removed), backslash
 * escapes the next character. Returns a strv; -EINVAL on an unterminated quote. */
int kc_split_command(const char *s, char ***ret);
