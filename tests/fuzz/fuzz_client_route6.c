/*
 * libFuzzer harness: libporthole's reading of rtnetlink IPv6 route,
 * address and neighbour dumps (the router over IPv6, the address pinholes
 * are for, and the router's link-layer address).
 */
#include <stdlib.h>
#include <string.h>

#include "phc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct phc_route6 r = { 0 };
	struct phc_addr6 a = { .oif = size & 1 };
	struct phc_neigh6 q = { .oif = size & 1 };
	uint8_t *copy = malloc(size ? size : 1);	/* netlink buffers are aligned */

	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	phc_route6_parse(copy, size, &r);
	/* A route is taken only with a gateway and an interface. */
	if (r.found && r.oif == 0)
		__builtin_trap();
	phc_addr6_parse(copy, size, &a);
	/* Never a link-local or temporary address: ranked addresses are global. */
	if (a.rank > 0 && IN6_IS_ADDR_LINKLOCAL(&a.addr))
		__builtin_trap();
	phc_neigh6_parse(copy, size, &q);
	if (q.lladdr_len > sizeof(q.lladdr))
		__builtin_trap();
	free(copy);
	return 0;
}
