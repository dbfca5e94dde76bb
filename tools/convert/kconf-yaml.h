/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Writing YAML text by hand, safely: every string is emitted double-quoted
 * with escapes, so nothing a keepalived value holds ("yes", "1e3", ":", "#",
 * "{", a leading "-" or "@", control bytes) can be read back as something
 * else. Input strings are valid UTF-8 (the tokenizer checks). */

#include <stdio.h>

/* Text for a # comment: anything YAML would not accept there (controls, invalid
 * UTF-8, a file name in Latin-1) becomes '?'. */
void y_comment(FILE *f, const char *s);
/* "..." with \" \\ \t \n \r and \xHH for other control characters. */
void y_quote(FILE *f, const char *s);
/* The same into a new string; NULL on OOM. */
char *y_quoted(const char *s);
/* ["a", "b"] */
void y_flow_strv(FILE *f, char *const *v);
char *y_flow_strv_string(char *const *v);
