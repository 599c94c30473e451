/*
 * Unit tests for the status page, its JSON twin and the Prometheus metrics:
 * the data is there, and what LAN hosts wrote is escaped.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "event.h"
#include "lease.h"
#include "pinhole.h"
#include "stats.h"
#include "status.h"

static int
setup(void **state)
{
	struct lease_req r = { .proto = IPPROTO_TCP, .ext_port = 25, .int_port = 25,
	    .owner = OWNER_PCP, .lifetime = 3600, .desc = "<script>alert(\"x\")</script>&\\" };

	(void)state;
	ev_init();
	lease_init(&backend_null, NULL);
	stats_init();
	inet_pton(AF_INET, "192.168.1.10", &r.int_addr);
	assert_int_equal(lease_add(&r, NULL), 0);
	r = (struct lease_req){ .proto = IPPROTO_UDP, .ext_port = 5353, .int_port = 53,
	    .owner = OWNER_STATIC, .desc = "dns" };
	inet_pton(AF_INET, "192.168.1.11", &r.int_addr);
	inet_pton(AF_INET, "198.51.100.7", &r.remote);
	assert_int_equal(lease_add(&r, NULL), 0);
	struct in_addr ext;
	inet_pton(AF_INET, "203.0.113.1", &ext);
	lease_set_external(ext);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	lease_fini();
	ev_fini();
	return 0;
}

static void
html_lists_and_escapes(void **state)
{
	char *h = status_html((struct status_pos){ 0, 0 });

	(void)state;
	assert_non_null(h);
	assert_non_null(strstr(h, "203.0.113.1"));
	assert_non_null(strstr(h, "<td>192.168.1.10:25</td><td>pcp</td>"));
	assert_non_null(strstr(h, "<td>permanent</td><td>198.51.100.7</td>"));
	assert_null(strstr(h, "<script>"));
	assert_non_null(strstr(h, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;"));
	assert_null(strstr(h, "javascript"));
	free(h);
}

static void
json_fields_and_escapes(void **state)
{
	char *j = status_json((struct status_pos){ 0, 0 });

	(void)state;
	assert_non_null(j);
	assert_non_null(strstr(j, "\"external_address\":\"203.0.113.1\""));
	assert_non_null(strstr(j, "\"protocol\":\"tcp\",\"external_port\":25,"
	    "\"internal_address\":\"192.168.1.10\",\"internal_port\":25,\"owner\":\"pcp\","
	    "\"lease_seconds\":3600,\"remote_host\":null"));
	assert_non_null(strstr(j, "\"lease_seconds\":null,\"remote_host\":\"198.51.100.7\""));
	assert_non_null(strstr(j, "\"description\":\"<script>alert(\\\"x\\\")</script>&\\\\\""));
	free(j);
}

static size_t
count_of(const char *doc, const char *needle)
{
	size_t n = 0;

	for (const char *p = doc; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* 1,200 mappings more: pages of 500 rows, each saying where the next starts. */
static void
pages_are_bounded(void **state)
{
	char *j, *h;

	(void)state;
	for (unsigned i = 0; i < 1200; i++) {
		struct lease_req r = { .proto = IPPROTO_TCP, .ext_port = (uint16_t)(10000 + i),
		    .int_port = 80, .owner = OWNER_UPNP, .desc = "web" };
		inet_pton(AF_INET, "192.168.1.20", &r.int_addr);
		assert_int_equal(lease_add(&r, NULL), 0);
	}
	j = status_json((struct status_pos){ 0, 0 });
	assert_int_equal(count_of(j, "\"protocol\""), STATUS_PAGE_ROWS);
	assert_non_null(strstr(j, "\"total\":1202,\"start\":0,\"next_start\":500,"));
	free(j);
	j = status_json((struct status_pos){ 1000, 0 });
	assert_int_equal(count_of(j, "\"protocol\""), 202);
	assert_non_null(strstr(j, "\"start\":1000,\"next_start\":null,\"mappings\":[{"));
	free(j);
	j = status_json((struct status_pos){ 99999, 0 });
	assert_non_null(strstr(j, "\"start\":1202,\"next_start\":null,\"mappings\":[]"));
	free(j);
	h = status_html((struct status_pos){ 500, 0 });
	assert_int_equal(count_of(h, "<tr><td>"), STATUS_PAGE_ROWS);
	assert_non_null(strstr(h, "Mappings 501 to 1000 of 1202"));
	assert_non_null(strstr(h, "<a href=\"/status?start=0\">previous</a>"));
	assert_non_null(strstr(h, "<a href=\"/status?start=1000\">next</a>"));
	free(h);
}

/* 1,200 pinholes: with the first page of mappings, in pages of 500 of their own. */
static void
pinholes_are_bounded(void **state)
{
	char *j, *h;

	(void)state;
	pinhole_init(NULL, 0);
	for (unsigned i = 0; i < 1200; i++) {
		struct pinhole_req r = { .proto = IPPROTO_TCP, .int_port = (uint16_t)(10000 + i),
		    .lifetime = 600, .owner = OWNER_PCP, .desc = "mail" };
		inet_pton(AF_INET6, "2001:db8:1::10", &r.int_addr);
		assert_int_equal(pinhole_add(&r, NULL), 0);
	}
	j = status_json((struct status_pos){ 0, 0 });
	assert_int_equal(count_of(j, "\"unique_id\""), STATUS_PAGE_ROWS);
	assert_non_null(strstr(j, "\"pinholes_total\":1200,\"pinholes_start\":0,"
	    "\"pinholes_next_start\":500,\"pinholes\":[{"));
	free(j);
	j = status_json((struct status_pos){ 0, 1000 });
	assert_int_equal(count_of(j, "\"unique_id\""), 200);
	assert_non_null(strstr(j, "\"pinholes_start\":1000,\"pinholes_next_start\":null,"));
	free(j);
	j = status_json((struct status_pos){ 0, 99999 });
	assert_non_null(strstr(j, "\"pinholes_start\":1200,\"pinholes_next_start\":null,"
	    "\"pinholes\":[]"));
	free(j);
	/* past the first page of mappings, no pinholes */
	j = status_json((struct status_pos){ 500, 0 });
	assert_null(strstr(j, "\"pinholes\""));
	free(j);
	h = status_html((struct status_pos){ 0, 500 });
	assert_int_equal(count_of(h, "<td>mail</td>"), STATUS_PAGE_ROWS);
	assert_non_null(strstr(h, "Pinholes 501 to 1000 of 1200"));
	assert_non_null(strstr(h, "<a href=\"/status?pstart=0\">previous</a>"));
	assert_non_null(strstr(h, "<a href=\"/status?pstart=1000\">next</a>"));
	free(h);
	pinhole_fini();
}

static void
metrics_count(void **state)
{
	struct in_addr c;
	char *m;

	(void)state;
	inet_pton(AF_INET, "192.168.1.10", &c);
	stats_request(OWNER_NATPMP, 1);
	stats_request(OWNER_NATPMP, 0);
	stats_refused(OWNER_UPNP, REFUSED_CONFLICT, IPPROTO_TCP, 25, c);
	stats_refused(OWNER_PCP, stats_refusal_of(-EDQUOT), IPPROTO_TCP, 26, c);
	m = stats_prometheus();
	assert_non_null(m);
	assert_non_null(strstr(m, "porthole_mappings{protocol=\"pcp\"} 1\n"));
	assert_non_null(strstr(m, "porthole_mappings{protocol=\"static\"} 1\n"));
	assert_non_null(strstr(m, "porthole_requests_total{protocol=\"natpmp\"} 2\n"));
	assert_non_null(strstr(m, "porthole_request_errors_total{protocol=\"natpmp\"} 1\n"));
	assert_non_null(strstr(m, "porthole_refused_total{reason=\"conflict\"} 1\n"));
	assert_non_null(strstr(m, "porthole_refused_total{reason=\"quota\"} 1\n"));
	assert_non_null(strstr(m, "porthole_mapping_events_total{event=\"added\"} 2\n"));
	assert_non_null(strstr(m, "# TYPE porthole_refused_total counter\n"));
	free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(html_lists_and_escapes, setup, teardown),
		cmocka_unit_test_setup_teardown(json_fields_and_escapes, setup, teardown),
		cmocka_unit_test_setup_teardown(pages_are_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(pinholes_are_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(metrics_count, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
