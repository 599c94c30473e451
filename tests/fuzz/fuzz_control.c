/* libFuzzer harness: one control-socket request line (control_execute) against
 * a lease table on the null backend. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "control.h"
#include "event.h"
#include "frontend.h"
#include "lease.h"
#include "sbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One LAN of 0.0.0.0/0, so every address a request names gets past the LAN check. */
static const struct gateway any_lan = { .lan = { { .ifname = "lan0" } }, .n_lan = 1 };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct sbuf r;
	char line[600];

	if (!ready) {
		ev_init();
		lease_init(&backend_null, NULL);
		ready = 1;
	}
	if (size >= sizeof(line))
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	sbuf_init(&r);
	control_execute(&any_lan, line, &r);
	sbuf_free(&r);
	lease_flush(-1);	/* each input starts from an empty table: a crash replays */
	return 0;
}
