/* libFuzzer harness: a message from the child as the privileged parent
 * checks it (privsep_msg.c) before acting on any field. Each input is tried
 * as it came (its own length) and zero-padded to a whole message, once in
 * turn and once out of turn; what is accepted must hold what the parent
 * then relies on (for PS_CHANGES: every change counted is whole, and no byte
 * after them is set). */
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "privsep_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
try(const struct ps_msg *m, size_t n, uint32_t want_seq)
{
	char why[128];

	if (ps_request_problem(m, n, want_seq, why, sizeof(why))) {
		if (!memchr(why, '\0', sizeof(why)))
			abort();	/* the reason is a string that fits */
		return;
	}
	if (n != sizeof(*m) || m->len != sizeof(*m) || m->seq != want_seq ||
	    m->type < PS_REQUEST_FIRST || m->type > PS_REQUEST_LAST || m->result || m->zero)
		abort();
	/* PS_CHANGES: 1 to PS_CHANGES_PER_MSG changes, each whole, nothing after them. */
	if (m->type != PS_CHANGES ? m->count != 0 : m->count < 1 || m->count > PS_CHANGES_PER_MSG)
		abort();
	for (uint32_t i = 0; m->type == PS_CHANGES && i < m->count; i++) {
		const struct ps_change *c = &m->u.changes[i];
		if ((c->op != PS_ADD && c->op != PS_DEL) ||
		    (c->map.proto != IPPROTO_TCP && c->map.proto != IPPROTO_UDP) ||
		    !c->map.ext_port || !c->map.int_port || c->map.zero)
			abort();
	}
	if (m->type == PS_CHANGES) {
		const uint8_t *rest = (const uint8_t *)&m->u.changes[m->count];
		for (const uint8_t *b = rest; b < (const uint8_t *)(m + 1); b++)
			if (*b)
				abort();
	}
	if ((m->type == PS_PIN_ADD || m->type == PS_PIN_DEL) &&
	    ((m->u.pin.proto != IPPROTO_TCP && m->u.pin.proto != IPPROTO_UDP) || !m->u.pin.int_port))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ps_msg m;

	if (size > sizeof(m))
		return 0;
	memset(&m, 0, sizeof(m));
	memcpy(&m, data, size);
	try(&m, size, m.seq);
	try(&m, size, m.seq + 1);
	try(&m, sizeof(m), m.seq);
	try(&m, sizeof(m), 1);
	return 0;
}
