/*
 * report_check: the checkup as a monitoring plugin's one line (the
 * Nagios / Icinga / monitoring-plugins conventions): "PORTHOLE STATE -
 * text | perfdata", and the plugin's exit status. OK only when every port
 * was reached from outside; WARNING when some were, or when the ports are
 * mapped but nothing tested them from outside; CRITICAL when none is
 * reachable, none mapped, or the router does not answer.
 */
#include <string.h>

#include "phc.h"

enum { CHECK_OK, CHECK_WARNING, CHECK_CRITICAL, CHECK_UNKNOWN };

static int
check_status(const struct porthole_report *r, size_t open, size_t tested)
{
	switch (r->verdict) {
	case PORTHOLE_VERDICT_OPEN:
		return CHECK_OK;
	case PORTHOLE_VERDICT_UNTESTED:
		return CHECK_WARNING;
	case PORTHOLE_VERDICT_PARTIAL:
		/* Tested from outside and nothing got through: the service is down. */
		return open == 0 && tested > 0 ? CHECK_CRITICAL : CHECK_WARNING;
	case PORTHOLE_VERDICT_CLOSED:
	case PORTHOLE_VERDICT_NO_GATEWAY:
		return CHECK_CRITICAL;
	}
	return CHECK_UNKNOWN;
}

PORTHOLE_API int
porthole_report_check(const struct porthole_report *r, FILE *out)
{
	static const char *const names[] = { "OK", "WARNING", "CRITICAL", "UNKNOWN" };
	size_t i, open = 0, mapped = 0, tested = 0;
	int64_t lease = -1;
	char text[PORTHOLE_MSG_MAX];
	int st;

	for (i = 0; i < r->n; i++) {
		const struct porthole_port_check *c = &r->port[i];

		if (c->state != PORTHOLE_PORT_MAPPED)
			continue;
		mapped++;
		open += c->outside == PORTHOLE_REACH_OPEN;
		tested += c->outside != PORTHOLE_REACH_UNTESTED;
		/* The shortest lease left; permanent ones (-1) never run out. */
		if (c->lease_left >= 0 && (lease < 0 || c->lease_left < lease))
			lease = c->lease_left;
	}
	st = check_status(r, open, tested);
	/* '|' starts the performance data: none in the text. */
	phc_sanitize_line(text, sizeof(text), r->summary, strlen(r->summary));
	for (i = 0; text[i] != '\0'; i++)
		if (text[i] == '|')
			text[i] = '/';
	fprintf(out, "PORTHOLE %s - %s | ports_open=%zu;;;0;%zu ports_mapped=%zu;;;0;%zu",
	    names[st], text, open, r->n, mapped, r->n);
	if (lease >= 0)
		fprintf(out, " lease_left=%llds;;;0", (long long)lease);
	fputc('\n', out);
	return ferror(out) ? CHECK_UNKNOWN : st;
}
