/* client_pcp: PCP through pcp_client.c (pcpc_); placeholder until it lands. */
#include "phc.h"

static int
pcp_probe(struct porthole *ph)
{
	return phc_fail(ph, PORTHOLE_ERR_UNSUPPORTED, "PCP client not built yet");
}

static int
pcp_map(struct porthole *ph, struct porthole_mapping *m, uint32_t lifetime)
{
	(void)m;
	(void)lifetime;
	return pcp_probe(ph);
}

static int
pcp_query(struct porthole *ph, struct porthole_mapping *m)
{
	(void)m;
	return pcp_probe(ph);
}

static void
pcp_fini(struct porthole *ph)
{
	(void)ph;
}

const struct phc_method phc_pcp = {
	.id = PORTHOLE_PCP, .probe = pcp_probe, .map = pcp_map, .query = pcp_query,
	.fini = pcp_fini,
};
