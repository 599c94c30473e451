/*
 * log: stderr in the foreground, syslog as a daemon; see log.h.
 */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

static bool log_to_stderr = true;
static bool log_verbose;

void
log_init(const char *ident, bool foreground, bool verbose)
{
	log_to_stderr = foreground;
	log_verbose = verbose;
	if (!foreground)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

static void
vlog(int pri, const char *fmt, va_list ap, const char *suffix)
{
	char line[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
	if (log_to_stderr) {
		if (suffix)
			fprintf(stderr, "%s: %s\n", line, suffix);
		else
			fprintf(stderr, "%s\n", line);
	} else if (suffix) {
		syslog(pri, "%s: %s", line, suffix);
	} else {
		syslog(pri, "%s", line);
	}
}

#define LOG_BODY(pri, suffix) do {	\
	va_list ap;			\
	va_start(ap, fmt);		\
	vlog(pri, fmt, ap, suffix);	\
	va_end(ap);			\
} while (0)

void
log_warn(const char *fmt, ...)
{
	const char *err = strerror(errno);

	LOG_BODY(LOG_WARNING, err);
}

void
log_warnx(const char *fmt, ...)
{
	LOG_BODY(LOG_WARNING, NULL);
}

void
log_info(const char *fmt, ...)
{
	LOG_BODY(LOG_INFO, NULL);
}

void
log_debug(const char *fmt, ...)
{
	if (!log_verbose)
		return;
	LOG_BODY(LOG_DEBUG, NULL);
}

void
fatal(const char *fmt, ...)
{
	const char *err = strerror(errno);

	LOG_BODY(LOG_CRIT, err);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	LOG_BODY(LOG_CRIT, NULL);
	exit(1);
}

void
log_drop(const char *proto, const char *peer, const char *reason)
{
	static time_t window;
	static unsigned in_window, suppressed;
	static char last[128];
	time_t now = time(NULL);

	if (now != window) {
		if (suppressed)
			log_warnx("%u more requests dropped (the last: %s)", suppressed, last);
		window = now;
		in_window = 0;
		suppressed = 0;
	}
	if (++in_window > 5) {
		suppressed++;
		snprintf(last, sizeof(last), "%s from %s: %s", proto, peer, reason);
		return;
	}
	log_warnx("%s: dropped request from %s: %s", proto, peer, reason);
}
