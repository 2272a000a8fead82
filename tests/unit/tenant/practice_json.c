/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/tenant/practice_json.c - the practice document codec of
 * src/tenant/practice_json.c: round trips, a bare document filled from the
 * demo, partial updates replacing lists wholesale, inherited provider hours,
 * nested use under "practice", and rejection naming the field with the
 * practice left untouched.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"
#include "schedule/practice.h"
#include "tenant/practice_json.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

static int parse(const char *doc, struct va_practice *p, bool partial, char *why, size_t whysz)
{
	return va_practice_from_json(doc, strlen(doc), p, partial, why, whysz);
}

static void round_trip(const struct va_practice *p)
{
	struct va_buf b = VA_BUF_INIT(1 << 20);
	struct va_practice back;
	char why[200];

	assert_int_equal(va_practice_to_json(p, &b), VA_OK);
	/* As a new practice: nothing comes from the defaults that differs. */
	memset(&back, 0x55, sizeof(back));
	if (va_practice_from_json(b.data, b.len, &back, false, why, sizeof(why)))
		fail_msg("%s in %s", why, b.data);
	assert_true(va_practice_equal(&back, p));
	/* As an update of something else entirely. */
	va_practice_demo(&back, 1999);
	back.n_plans = 0;
	assert_int_equal(va_practice_from_json(b.data, b.len, &back, true, why, sizeof(why)),
			 VA_OK);
	assert_true(va_practice_equal(&back, p));
	va_buf_release(&b);
}

static void test_round_trip_demo(void **state)
{
	struct va_practice p;
	struct va_buf b = VA_BUF_INIT(1 << 20);
	json_t *root;

	va_practice_demo(&p, 2026);
	round_trip(&p);

	/* The document has the documented shape. */
	assert_int_equal(va_practice_to_json(&p, &b), VA_OK);
	root = json_loads(b.data, 0, NULL);
	assert_non_null(root);
	assert_string_equal(json_string_value(json_object_get(
				json_object_get(json_object_get(root, "hours"), "mon"), "open")),
			    "08:00");
	assert_true(json_is_null(json_object_get(json_object_get(root, "hours"), "sun")));
	json_t *prov = json_array_get(json_object_get(root, "providers"), 1);
	assert_string_equal(json_string_value(json_object_get(prov, "id")), "dr-nguyen");
	assert_string_equal(json_string_value(json_object_get(prov, "kind")), "dentist");
	assert_true(json_is_null(json_object_get(json_object_get(prov, "hours"), "mon")));
	json_t *svc = json_array_get(json_object_get(root, "services"), 0);
	assert_string_equal(json_string_value(json_object_get(svc, "service")), "cleaning");
	assert_int_equal(json_integer_value(json_object_get(svc, "duration_min")), 60);
	assert_string_equal(json_string_value(json_object_get(svc, "provider_kind")), "hygienist");
	json_t *cl = json_array_get(json_object_get(root, "closures"), 4);
	assert_string_equal(json_string_value(json_object_get(cl, "date")), "2026-11-26");
	assert_string_equal(json_string_value(json_object_get(cl, "reason")), "Thanksgiving");
	assert_int_equal(json_array_size(json_object_get(root, "insurance")), 8);
	assert_int_equal(json_integer_value(json_object_get(root, "slot_step_min")), 15);
	assert_int_equal(json_integer_value(json_object_get(root, "hold_seconds")), 300);
	assert_int_equal(json_integer_value(json_object_get(root, "min_lead_min")), 60);
	json_decref(root);
	va_buf_release(&b);
}

static void test_round_trip_custom(void **state)
{
	static const char doc[] =
	    "{\"address\":\"1 Rue de l'\\u00c9glise, Qu\\u00e9bec\",\"phone\":null,"
	    "\"hours\":{\"monday\":{\"open\":\"7:30\",\"close\":\"24:00\"},"
	    "\"Wed\":{\"open\":\"00:00\",\"close\":\"12:05\"},\"sun\":\"closed\"},"
	    "\"providers\":[{\"id\":\"dr_a-1\",\"name\":\"Dr. \\u00c5sa\",\"kind\":\"Dentist\","
	    "\"hours\":{\"mon\":{\"open\":\"09:00\",\"close\":\"10:00\"}}},"
	    "{\"id\":\"h2\",\"kind\":\"hygienist\"}],"
	    "\"services\":[{\"service\":\"exam\",\"duration_min\":20},"
	    "{\"service\":\"whitening\",\"duration_min\":120,\"provider_kind\":\"hygienist\"},"
	    "{\"service\":\"child_visit\"}],"
	    "\"closures\":[\"2027-02-28\",{\"date\":\"2028-02-29\",\"reason\":\"Leap\"}],"
	    "\"insurance\":[\"Acme \\\"Gold\\\" Dental\"],"
	    "\"min_lead_min\":0,\"slot_step_min\":5,\"hold_seconds\":45}";
	struct va_practice p;
	char why[200];

	if (parse(doc, &p, false, why, sizeof(why)))
		fail_msg("%s", why);
	assert_string_equal(p.address, "1 Rue de l'\xc3\x89glise, Qu\xc3\xa9"
				       "bec");
	assert_string_equal(p.phone, "");
	assert_int_equal(p.hours[0].open_min, 450);
	assert_int_equal(p.hours[0].close_min, 1440);
	assert_int_equal(p.hours[1].open_min, -1); /* left out: closed */
	assert_int_equal(p.hours[2].close_min, 725);
	assert_int_equal(p.n_providers, 2);
	assert_int_equal(p.providers[0].hours[0].open_min, 540);
	assert_int_equal(p.providers[0].hours[2].open_min, -1);
	/* No hours: the practice's. */
	assert_memory_equal(p.providers[1].hours, p.hours, sizeof(p.hours));
	assert_int_equal(p.providers[1].kind, VA_PROVIDER_HYGIENIST);
	assert_string_equal(p.providers[1].name, "");
	assert_int_equal(p.n_services, 3);
	assert_int_equal(p.services[0].duration_min, 20);
	assert_int_equal(p.services[0].provider_kind, VA_PROVIDER_DENTIST);
	assert_int_equal(p.services[1].provider_kind, VA_PROVIDER_HYGIENIST);
	/* Left out: the demo practice's definition. */
	assert_int_equal(p.services[2].duration_min, 45);
	assert_int_equal(p.services[2].provider_kind, VA_PROVIDER_HYGIENIST);
	assert_int_equal(p.n_closures, 2);
	assert_int_equal(p.closures[0].day, 28);
	assert_string_equal(p.closures[0].reason, "");
	assert_string_equal(p.closures[1].reason, "Leap");
	assert_string_equal(p.plans[0], "Acme \"Gold\" Dental");
	/* Zero lead given in the document is a rule, not a gap to fill. */
	assert_int_equal(p.min_lead_min, 0);
	assert_int_equal(p.slot_step_min, 5);
	assert_int_equal(p.hold_seconds, 45);
	round_trip(&p);
	assert_int_equal(parse("{\"min_lead_min\":30}", &p, true, why, sizeof(why)), VA_OK);
	assert_int_equal(p.min_lead_min, 30);
	round_trip(&p);
}

static void test_bare_document(void **state)
{
	struct va_practice p, want;
	char why[200];

	memset(&p, 0x55, sizeof(p));
	assert_int_equal(parse("{}", &p, false, why, sizeof(why)), VA_OK);
	va_practice_empty(&want);
	va_practice_fill_defaults(&want, 2026);
	assert_true(va_practice_equal(&p, &want));
	assert_int_equal(p.n_providers, 4);
	assert_int_equal(p.n_services, 11);
	assert_int_equal(p.n_closures, 0);
	assert_int_equal(p.n_plans, 0);

	/* The whole tenant document works too: its other keys are ignored. */
	assert_int_equal(parse("{\"id\":\"smith\",\"name\":\"Smith Dental\",\"timezone\":"
			       "\"America/Chicago\",\"api_key\":\"k\",\"insurance\":[\"Cigna\"]}",
			       &p, false, why, sizeof(why)),
			 VA_OK);
	assert_int_equal(p.n_plans, 1);
}

/* The caller hands over the value of a "practice" key of a larger
 * document. */
static void test_nested(void **state)
{
	static const char outer[] =
	    "{\"id\":\"smith\",\"practice\":{\"phone\":\"+15555550199\",\"slot_step_min\":30,"
	    "\"providers\":[{\"id\":\"dr-smith\",\"name\":\"Dr. Smith\",\"kind\":\"dentist\"}],"
	    "\"services\":[{\"service\":\"exam\"},{\"service\":\"emergency\"}]}}";
	json_t *root = json_loads(outer, 0, NULL);
	struct va_practice p;
	char why[200], *inner;

	assert_non_null(root);
	inner = json_dumps(json_object_get(root, "practice"), JSON_COMPACT);
	assert_int_equal(parse(inner, &p, false, why, sizeof(why)), VA_OK);
	assert_string_equal(p.phone, "+15555550199");
	assert_int_equal(p.slot_step_min, 30);
	assert_int_equal(p.n_providers, 1);
	assert_int_equal(p.n_services, 2);
	/* Hours from the demo, and the provider works them. */
	assert_int_equal(p.hours[5].open_min, 540);
	assert_int_equal(p.providers[0].hours[5].close_min, 780);
	free(inner);
	json_decref(root);
}

static void test_partial_update(void **state)
{
	struct va_practice p, before;
	char why[200];

	va_practice_demo(&p, 2026);
	before = p;
	assert_int_equal(parse("{\"slot_step_min\":30,\"hours\":{\"mon\":{\"open\":\"08:00\","
			       "\"close\":\"17:00\"},\"tue\":{\"open\":\"10:00\",\"close\":"
			       "\"19:00\"}},\"closures\":[],\"unknown\":{\"x\":1}}",
			       &p, true, why, sizeof(why)),
			 VA_OK);
	assert_int_equal(p.slot_step_min, 30);
	/* "hours" replaces the week: Wednesday on are closed now. */
	assert_int_equal(p.hours[1].close_min, 19 * 60);
	assert_int_equal(p.hours[2].open_min, -1);
	assert_int_equal(p.hours[5].open_min, -1);
	assert_int_equal(p.n_closures, 0);
	/* The rest is as it was, providers' own hours included. */
	assert_memory_equal(p.providers, before.providers, sizeof(p.providers));
	assert_memory_equal(p.services, before.services, sizeof(p.services));
	assert_memory_equal(p.plans, before.plans, sizeof(p.plans));
	assert_string_equal(p.address, before.address);
	assert_int_equal(p.hold_seconds, 300);

	/* Replacing the insurance list. */
	assert_int_equal(parse("{\"insurance\":[\"Cigna\",\"Aetna\"]}", &p, true, why, sizeof(why)),
			 VA_OK);
	assert_int_equal(p.n_plans, 2);
	assert_string_equal(p.plans[1], "Aetna");
	assert_null(va_practice_match_plan(&p, "delta"));
}

static void expect_reject(const char *doc, bool partial, int rc, const char *field)
{
	struct va_practice p, saved;
	char why[200];

	va_practice_demo(&p, 2026);
	saved = p;
	assert_int_equal(parse(doc, &p, partial, why, sizeof(why)), rc);
	if (strncmp(why, field, strlen(field)) != 0 || why[strlen(field)] != ':')
		fail_msg("%s: expected field %s, got \"%s\"", doc, field, why);
	/* All or nothing. */
	assert_memory_equal(&p, &saved, sizeof(p));
}

static void test_reject_naming_field(void **state)
{
	expect_reject("{\"hours\":", false, VA_E_PARSE, "json");
	expect_reject("[1,2]", true, VA_E_INVAL, "json");
	expect_reject("{\"a\":1,\"a\":2}", true, VA_E_PARSE, "json");
	expect_reject("{\"address\":5}", true, VA_E_INVAL, "address");
	expect_reject("{\"phone\":\"012345678901234567890123456789012\"}", true, VA_E_INVAL,
		      "phone");
	expect_reject("{\"hours\":[]}", true, VA_E_INVAL, "hours");
	expect_reject("{\"hours\":{\"funday\":null}}", true, VA_E_INVAL, "hours.funday");
	expect_reject("{\"hours\":{\"mon\":{\"open\":\"8am\",\"close\":\"17:00\"}}}", true,
		      VA_E_INVAL, "hours.mon.open");
	expect_reject("{\"hours\":{\"tue\":{\"open\":\"08:00\"}}}", true, VA_E_INVAL,
		      "hours.tue.close");
	expect_reject("{\"hours\":{\"fri\":{\"open\":\"08:00\",\"close\":\"24:30\"}}}", true,
		      VA_E_INVAL, "hours.fri.close");
	expect_reject("{\"hours\":{\"fri\":{\"open\":\"12:00\",\"close\":\"08:00\"}}}", true,
		      VA_E_INVAL, "hours.fri");
	expect_reject("{\"hours\":{\"sat\":true}}", true, VA_E_INVAL, "hours.sat");
	expect_reject("{\"providers\":{}}", true, VA_E_INVAL, "providers");
	expect_reject("{\"providers\":[{\"id\":\"dr-a\",\"kind\":\"dentist\"},"
		      "{\"id\":\"h-b\",\"kind\":\"hygienist\",\"hours\":{\"mon\":{\"open\":"
		      "\"9\",\"close\":\"10:00\"}}}]}",
		      true, VA_E_INVAL, "providers[1].hours.mon.open");
	expect_reject("{\"providers\":[{\"id\":\"Dr A\",\"kind\":\"dentist\"}]}", true, VA_E_INVAL,
		      "providers[0].id");
	expect_reject("{\"providers\":[{\"kind\":\"dentist\"}]}", true, VA_E_INVAL,
		      "providers[0].id");
	expect_reject("{\"providers\":[{\"id\":\"x\",\"kind\":\"surgeon\"}]}", true, VA_E_INVAL,
		      "providers[0].kind");
	/* Only dentists left, but cleaning needs a hygienist. */
	expect_reject("{\"providers\":[{\"id\":\"x\",\"kind\":\"dentist\"}]}", true, VA_E_INVAL,
		      "services[0].provider_kind");
	expect_reject("{\"providers\":[" /* 17 providers */
		      "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17]}",
		      true, VA_E_INVAL, "providers");
	expect_reject("{\"services\":[{\"service\":\"tattoo\"}]}", true, VA_E_INVAL,
		      "services[0].service");
	expect_reject("{\"services\":[{\"service\":\"exam\",\"duration_min\":33}]}", true,
		      VA_E_INVAL, "services[0].duration_min");
	expect_reject("{\"services\":[{\"service\":\"exam\",\"duration_min\":\"30\"}]}", true,
		      VA_E_INVAL, "services[0].duration_min");
	expect_reject("{\"services\":[{\"service\":\"exam\"},{\"service\":\"exam\"}]}", true,
		      VA_E_INVAL, "services[1].service");
	expect_reject("{\"closures\":[{\"date\":\"2026-02-30\"}]}", true, VA_E_INVAL,
		      "closures[0].date");
	expect_reject("{\"closures\":[\"12/25/2026\"]}", true, VA_E_INVAL, "closures[0].date");
	expect_reject("{\"closures\":[{\"date\":\"2026-12-25\",\"reason\":7}]}", true, VA_E_INVAL,
		      "closures[0].reason");
	expect_reject("{\"insurance\":[\"Cigna\",null]}", true, VA_E_INVAL, "insurance[1]");
	expect_reject("{\"insurance\":[\"A plan whose name is far too long to keep, really\"]}",
		      true, VA_E_INVAL, "insurance[0]");
	expect_reject("{\"insurance\":[\"\"]}", true, VA_E_INVAL, "insurance[0]");
	expect_reject("{\"insurance\":[\"Cigna\",\"(-)\"]}", true, VA_E_INVAL, "insurance[1]");
	expect_reject("{\"slot_step_min\":7}", true, VA_E_INVAL, "slot_step_min");
	expect_reject("{\"slot_step_min\":15.0}", true, VA_E_INVAL, "slot_step_min");
	expect_reject("{\"min_lead_min\":-1}", true, VA_E_INVAL, "min_lead_min");
	expect_reject("{\"hold_seconds\":99999999999}", true, VA_E_INVAL, "hold_seconds");
	/* A failure late in the document leaves earlier changes undone. */
	expect_reject("{\"address\":\"elsewhere\",\"slot_step_min\":7}", true, VA_E_INVAL,
		      "slot_step_min");
	expect_reject("{\"hours\":{\"mon\":null},\"services\":[{\"service\":\"x\"}]}", false,
		      VA_E_INVAL, "services[0].service");
}

static void test_to_json_failures(void **state)
{
	struct va_practice p;
	struct va_buf b = VA_BUF_INIT(64);

	va_practice_demo(&p, 2026);
	assert_int_equal(va_buf_append_str(&b, "keep"), VA_OK);
	assert_int_equal(va_practice_to_json(&p, &b), VA_E_TOOBIG);
	assert_string_equal(va_buf_cstr(&b), "keep");
	va_buf_release(&b);
	/* Text that is not UTF-8 cannot be written as JSON. */
	va_buf_init(&b, 1 << 20);
	strcpy(p.providers[0].name, "Dr. \xff");
	assert_int_equal(va_practice_to_json(&p, &b), VA_E_INVAL);
	assert_int_equal(b.len, 0);
	va_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip_demo),  cmocka_unit_test(test_round_trip_custom),
	    cmocka_unit_test(test_bare_document),    cmocka_unit_test(test_nested),
	    cmocka_unit_test(test_partial_update),   cmocka_unit_test(test_reject_naming_field),
	    cmocka_unit_test(test_to_json_failures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
