/* Placeholder until the pcp front-end lands: it starts nothing. */
#include "frontend.h"
#include "log.h"

static int
pcp_init(const struct gateway *gw)
{
	(void)gw;
	log_warnx("pcp: front-end not built yet");
	return 0;
}

static void
pcp_fini(void)
{
}

const struct frontend frontend_pcp = { .name = "pcp", .init = pcp_init, .fini = pcp_fini };
