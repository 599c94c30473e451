/*
 * libFuzzer harness: the SSDP M-SEARCH parser (ssdp_parse_msearch), then
 * search-target matching and reply formatting for whatever it accepted,
 * in both IGD:2 and IGD:1 mode, and the answer delay for its MX.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "upnp/upnp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char uuids[UPNP_NDEV][UPNP_UUID_LEN + 1] = {
	"11111111-2222-4333-8444-555555555550",
	"11111111-2222-4333-8444-555555555551",
	"11111111-2222-4333-8444-555555555552",
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ssdp_fmt f = { .uuid = uuids, .host = "192.168.77.1", .port = 5000,
			      .bootid = 1, .configid = 2, .now = 0,
			      .server = "Linux/6.1 UPnP/1.1 porthole/0.1" };
	/* The longest LOCATION host the daemon writes: a full IPv6 address. */
	struct ssdp_fmt f6 = { .uuid = uuids, .host = "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]",
			       .port = 65535, .bootid = 0x7fffffff, .configid = 0xffffff, .now = 0,
			       .server = "Linux/6.1 UPnP/1.1 porthole/0.1", .ipv6 = true };
	struct ssdp_answer ans[SSDP_MAX_ANSWERS];
	struct ssdp_search s;
	const char *why;
	char out[1024];

	if (ssdp_parse_msearch((const char *)data, size, &s, &why) < 0)
		return 0;
	if (memchr(s.st, '\0', sizeof(s.st)) == NULL)
		__builtin_trap();
	/* Whatever MX says, a multicast answer waits no longer than the spread. */
	if (ssdp_reply_delay_ms(true, s.mx, (uint32_t)size * 2654435761u) > SSDP_SPREAD_MS)
		__builtin_trap();
	for (int mode = 0; mode < 4; mode++) {
		int primary = 1 + (mode & 1);
		bool v4 = !(mode & 2);	/* over IPv6 the IGD:1 tree is not offered */
		/* One more slot than allowed: every answer must fit the real size. */
		struct ssdp_answer room[SSDP_MAX_ANSWERS + 1];
		if (ssdp_match(primary, v4, uuids, s.st, room, SSDP_MAX_ANSWERS + 1) > SSDP_MAX_ANSWERS)
			__builtin_trap();	/* a search whose answer the daemon would cut */
		size_t n = ssdp_match(primary, v4, uuids, s.st, ans, SSDP_MAX_ANSWERS);
		for (size_t i = 0; i < n; i++) {
			if (!v4 && ans[i].tree->igd_ver != primary)
				__builtin_trap();
			if (ssdp_format(out, sizeof(out), SSDP_REPLY, v4 ? &f : &f6, &ans[i]) < 0)
				__builtin_trap();	/* our own answers always fit */
		}
	}
	return 0;
}
