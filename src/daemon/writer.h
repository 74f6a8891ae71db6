/* SPDX-License-Identifier: GPL-2.0 */
/*
 * writer - one streaming writer for the two forms of a view: a JSON document or human text.
 *
 * A renderer describes its output once, as JSON structure (begin/end object or array, values
 * with keys); each value also carries the printf format of its text form, or NULL when the text
 * form does not show it. In JSON mode the writer prints the structure (keys, commas, escaping;
 * the text formats are ignored); in text mode it prints only the text formats and writer_text()
 * (layout that only the text form has: headers, labels, line breaks). So the order of the calls
 * is the order of both forms, and a field shown in one form only says so where it is written.
 * Closing the outermost object or array ends the JSON document with a newline.
 */
#ifndef SCX_CELLS_WRITER_H
#define SCX_CELLS_WRITER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define WRITER_MAX_DEPTH 8 /* nesting of objects and arrays */

struct writer {
	FILE *f;
	bool json;
	unsigned int depth;
	bool has_item[WRITER_MAX_DEPTH]; /* the open container already holds a value */
};

void writer_init(struct writer *w, FILE *f, bool json);

/* @key: the member name inside an object, NULL inside an array or at the top. */
void writer_begin_object(struct writer *w, const char *key);
void writer_end_object(struct writer *w);
void writer_begin_array(struct writer *w, const char *key);
void writer_end_array(struct writer *w);

/*
 * Values. JSON: "key":VALUE (no key inside arrays); text: printf(@text, value) when @text is not
 * NULL. Doubles are written with @prec decimals in JSON; strings are escaped in JSON only.
 */
void writer_u64(struct writer *w, const char *key, const char *text, uint64_t v);
void writer_int(struct writer *w, const char *key, const char *text, int v);
void writer_double(struct writer *w, const char *key, int prec, const char *text, double v);
void writer_string(struct writer *w, const char *key, const char *text, const char *s);

/* JSON: true or false; text: printf(@text, "yes" or "no") when @text is not NULL. */
void writer_bool(struct writer *w, const char *key, const char *text, bool v);

/* A value that is not there. JSON: null; text: printf(@text, "-") when @text is not NULL. */
void writer_null(struct writer *w, const char *key, const char *text);

/* Text form only: printf(@fmt, ...). */
void writer_text(struct writer *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Write @s as a JSON string literal (quotes included). */
void json_print_string(FILE *f, const char *s);

#endif /* SCX_CELLS_WRITER_H */
