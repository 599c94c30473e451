/* Placeholder until the upnp front-end lands: it starts nothing. */
#include "frontend.h"
#include "log.h"

static int
upnp_init(const struct gateway *gw)
{
	(void)gw;
	log_warnx("upnp: front-end not built yet");
	return 0;
}

static void
upnp_fini(void)
{
}

const struct frontend frontend_upnp = { .name = "upnp", .init = upnp_init, .fini = upnp_fini };
