/*
 * precheck: `portholed -n` beyond the file's syntax; see precheck.c.
 */
#ifndef PORTHOLE_PRECHECK_H
#define PORTHOLE_PRECHECK_H

#include <stdio.h>

#include "config.h"

/* What a start checks on this machine but a syntax check cannot see. */
#define PRECHECK_NOT_CHECKED \
	"not checked: that nftables accepts the table (needs CAP_NET_ADMIN), that udp/5351, " \
	"udp/1900 and http_port are free"

struct precheck {
	const char	*name;		/* the config file, to prefix each line */
	FILE		*out;
};

/* Print one "NAME: error|warning: ..." line per finding; the number of errors. */
unsigned precheck_run(const struct precheck *pc, const struct config *cfg);

#endif
