/*
 * privsep_msg: the messages' contents (privsep_proto.h), for both ends: a
 * mapping between the lease table's form and the wire's.
 */
#include <string.h>

#include "lease.h"
#include "privsep_proto.h"

void
ps_mapping_of(const struct lease *l, struct ps_mapping *p)
{
	*p = (struct ps_mapping){
		.int_addr = l->int_addr.s_addr, .remote = l->remote.s_addr,
		.ext_port = l->ext_port, .int_port = l->int_port,
		.remote_port = l->remote_port, .proto = l->proto,
	};
}

void
ps_lease_of(const struct ps_mapping *p, struct lease *l)
{
	memset(l, 0, sizeof(*l));
	l->int_addr.s_addr = p->int_addr;
	l->remote.s_addr = p->remote;
	l->ext_port = p->ext_port;
	l->int_port = p->int_port;
	l->remote_port = p->remote_port;
	l->proto = p->proto;
}
