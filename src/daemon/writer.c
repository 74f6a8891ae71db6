// SPDX-License-Identifier: GPL-2.0
/*
 * writer - the streaming writer behind the view: JSON or text from one sequence of calls.
 */
#include <stdarg.h>

#include "writer.h"

void json_print_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

void writer_init(struct writer *w, FILE *f, bool json)
{
	*w = (struct writer){.f = f, .json = json};
}

/* JSON: the separator before a new value in the open container, and its key. */
static void member(struct writer *w, const char *key)
{
	if (w->depth && w->depth <= WRITER_MAX_DEPTH) {
		if (w->has_item[w->depth - 1])
			fputc(',', w->f);
		w->has_item[w->depth - 1] = true;
	}
	if (key) {
		json_print_string(w->f, key);
		fputc(':', w->f);
	}
}

static void begin(struct writer *w, const char *key, char open)
{
	if (!w->json)
		return;
	member(w, key);
	fputc(open, w->f);
	/* Deeper nesting than WRITER_MAX_DEPTH is a bug in a renderer; keep the output balanced. */
	if (w->depth < WRITER_MAX_DEPTH)
		w->has_item[w->depth] = false;
	w->depth++;
}

static void end(struct writer *w, char close)
{
	if (!w->json || !w->depth)
		return;
	fputc(close, w->f);
	if (--w->depth == 0)
		fputc('\n', w->f);
}

void writer_begin_object(struct writer *w, const char *key)
{
	begin(w, key, '{');
}

void writer_end_object(struct writer *w)
{
	end(w, '}');
}

void writer_begin_array(struct writer *w, const char *key)
{
	begin(w, key, '[');
}

void writer_end_array(struct writer *w)
{
	end(w, ']');
}

void writer_u64(struct writer *w, const char *key, const char *text, uint64_t v)
{
	if (w->json) {
		member(w, key);
		fprintf(w->f, "%llu", (unsigned long long)v);
	} else if (text) {
		fprintf(w->f, text, (unsigned long long)v);
	}
}

void writer_int(struct writer *w, const char *key, const char *text, int v)
{
	if (w->json) {
		member(w, key);
		fprintf(w->f, "%d", v);
	} else if (text) {
		fprintf(w->f, text, v);
	}
}

void writer_double(struct writer *w, const char *key, int prec, const char *text, double v)
{
	if (w->json) {
		member(w, key);
		fprintf(w->f, "%.*f", prec, v);
	} else if (text) {
		fprintf(w->f, text, v);
	}
}

void writer_string(struct writer *w, const char *key, const char *text, const char *s)
{
	if (w->json) {
		member(w, key);
		json_print_string(w->f, s);
	} else if (text) {
		fprintf(w->f, text, s);
	}
}

void writer_bool(struct writer *w, const char *key, const char *text, bool v)
{
	if (w->json) {
		member(w, key);
		fputs(v ? "true" : "false", w->f);
	} else if (text) {
		fprintf(w->f, text, v ? "yes" : "no");
	}
}

void writer_null(struct writer *w, const char *key, const char *text)
{
	if (w->json) {
		member(w, key);
		fputs("null", w->f);
	} else if (text) {
		fprintf(w->f, text, "-");
	}
}

void writer_text(struct writer *w, const char *fmt, ...)
{
	va_list ap;

	if (w->json)
		return;
	va_start(ap, fmt);
	vfprintf(w->f, fmt, ap);
	va_end(ap);
}
