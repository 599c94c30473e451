/*
 * null: a backend that accepts every change and keeps nothing, for unit
 * tests without root and for dry runs.
 */
#include "backend/backend.h"

#include <string.h>

static int
null_open(const struct backend_config *cfg)
{
	(void)cfg;
	return 0;
}

static void
null_close(void)
{
}

static int
null_set_external(struct in_addr ext)
{
	(void)ext;
	return 0;
}

static int
null_change(const struct lease *l)
{
	(void)l;
	return 0;
}

static int
null_counters(backend_counter_fn fn, void *arg)
{
	(void)fn;
	(void)arg;
	return 0;
}

const struct backend_ops backend_null = {
	.name = "null",
	.open = null_open,
	.close = null_close,
	.set_external = null_set_external,
	.add = null_change,
	.del = null_change,
	.counters = null_counters,
};
