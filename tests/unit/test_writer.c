// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for writer: one sequence of calls gives the JSON document (keys, commas, nesting,
 * escaping, the newline after the outermost value) or the text form (only the text formats and
 * writer_text()); every value kind in both modes, booleans and nulls included.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "writer.h"

struct out {
	char *buf;
	size_t len;
	FILE *f;
};

static void out_open(struct out *o)
{
	o->buf = NULL;
	o->f = open_memstream(&o->buf, &o->len);
	assert_non_null(o->f);
}

/* Close the stream and check what was written; frees it. */
static void out_is(struct out *o, const char *want)
{
	fclose(o->f);
	if (strcmp(o->buf, want))
		fail_msg("wrote\n%s\nwant\n%s", o->buf, want);
	free(o->buf);
}

/* Every value kind, an object and an array inside the top object. */
static void render(struct writer *w)
{
	writer_begin_object(w, NULL);
	writer_u64(w, "n", "n=%llu", UINT64_MAX);
	writer_int(w, "i", " i=%d", -7);
	writer_double(w, "d", 2, " d=%.1f", 1.005);
	writer_string(w, "s", " s=%s", "a\"b\\c\n");
	writer_bool(w, "yes", " yes=%s", true);
	writer_bool(w, "no", " no=%-4s|", false);
	writer_null(w, "none", " none=%s");
	writer_text(w, " [text only %d]", 42);
	writer_begin_array(w, "list");
	writer_int(w, NULL, " %d", 1);
	writer_null(w, NULL, NULL);
	writer_bool(w, NULL, NULL, false);
	writer_begin_object(w, NULL);
	writer_string(w, "k", NULL, "v");
	writer_end_object(w);
	writer_end_array(w);
	writer_begin_object(w, "empty");
	writer_end_object(w);
	writer_u64(w, "hidden", NULL, 5);
	writer_text(w, "\n");
	writer_end_object(w);
}

static void test_json(void **state)
{
	struct writer w;
	struct out o;

	(void)state;
	out_open(&o);
	writer_init(&w, o.f, true);
	render(&w);
	out_is(&o, "{\"n\":18446744073709551615,\"i\":-7,\"d\":1.00,\"s\":\"a\\\"b\\\\c\\u000a\","
		   "\"yes\":true,\"no\":false,\"none\":null,\"list\":[1,null,false,{\"k\":\"v\"}],"
		   "\"empty\":{},\"hidden\":5}\n");
}

static void test_text(void **state)
{
	struct writer w;
	struct out o;

	(void)state;
	out_open(&o);
	writer_init(&w, o.f, false);
	render(&w);
	out_is(&o, "n=18446744073709551615 i=-7 d=1.0 s=a\"b\\c\n yes=yes no=no  | none=- "
		   "[text only 42] 1\n");
}

/* A top-level array ends the document too; two documents in a row each get their newline. */
static void test_top_array(void **state)
{
	struct writer w;
	struct out o;

	(void)state;
	out_open(&o);
	writer_init(&w, o.f, true);
	writer_begin_array(&w, NULL);
	writer_null(&w, NULL, "%s");
	writer_bool(&w, NULL, "%s", true);
	writer_end_array(&w);
	writer_begin_object(&w, NULL);
	writer_end_object(&w);
	out_is(&o, "[null,true]\n{}\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_top_array),
	};

	return cmocka_run_group_tests_name("writer", tests, NULL, NULL);
}
