/*
 * ctl_proto: the control socket's protocol, defined once for both ends
 * (control.c in the daemon, portholectl.c). A line protocol, so an admin
 * can still speak it with `echo list | socat - UNIX-CONNECT:/run/portholed.sock`.
 *
 * Request: one line of words, "COMMAND ARG...":
 *   list
 *   add PROTO EXTPORT INTADDR INTPORT [LIFETIME [DESC...]]
 *   del PROTO EXTPORT
 *   flush [OWNER]
 *   status
 * Reply: the version line "porthole-ctl 1", then record lines, then one
 * final line, "OK [what was done]" or "ERR why".
 * A record line is its type, then key=value pairs separated by one space;
 * values hold no spaces, except desc, which is always last and takes the
 * rest of the line. Readers look fields up by name and skip keys they do
 * not know, so a field can be added without a new version; removing or
 * changing one needs CTL_VERSION raised.
 *   mapping proto=tcp ext_port=2525 int_addr=192.168.1.10 int_port=25 owner=static
 *           lease=permanent|SECONDS remote=any|ADDR packets=N bytes=N desc=TEXT
 *   pinhole proto=tcp addr=2001:db8:1::10 port=25 id=N owner=pcp
 *           lease=permanent|SECONDS remote=any|ADDR|ADDR/LEN remote_port=N packets=N bytes=N desc=TEXT
 *   status external_address=ADDR|none mappings=N mappings_static=N ...
 *          wan_address=ADDR|none public_address=ADDR|none
 *          public_source=stun:HOST:PORT|upstream:PROTOCOL|none behind_nat=yes|no
 *   upstream upstream=auto|off|pcp|natpmp|upnp upstream_active=yes|no
 *            upstream_method=pcp|natpmp|upnp|none upstream_mapped=N upstream_pending=N
 *            upstream_refused=N upstream_restarts=N
 */
#ifndef PORTHOLE_CTL_PROTO_H
#define PORTHOLE_CTL_PROTO_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CTL_HELLO	"porthole-ctl"
#define CTL_VERSION	1
#define CTL_REQ_MAX	512		/* a request line, newline included */
#define CTL_LINE_MAX	1024		/* a reply line */
#define CTL_MAX_PAIRS	16
#define CTL_TAIL_KEY	"desc"

#define CTL_REC_MAPPING	"mapping"
#define CTL_REC_STATUS	"status"
#define CTL_REC_UPSTREAM	"upstream"
#define CTL_REC_PINHOLE	"pinhole"

/* One record line split in place: its type and its pairs in order. */
struct ctl_record {
	const char	*type;
	struct { const char *key, *val; } pair[CTL_MAX_PAIRS];
	int		 n;
};

/* One mapping as list sends it. */
struct ctl_mapping {
	char		proto[4];	/* "tcp" or "udp" */
	uint16_t	ext_port;
	struct in_addr	int_addr;
	uint16_t	int_port;
	char		owner[8];	/* static, upnp, natpmp, pcp */
	bool		permanent;
	uint32_t	lease_left;	/* seconds, when not permanent */
	struct in_addr	remote;		/* 0 = any */
	uint64_t	packets, bytes;
	char		desc[128];
};

/* One IPv6 pinhole as list sends it (the port is external and internal). */
struct ctl_pinhole {
	char		proto[4];
	struct in6_addr	addr;
	uint16_t	port;
	uint16_t	id;		/* UPnP's UniqueID */
	char		owner[8];
	bool		permanent;
	uint32_t	lease_left;
	struct in6_addr	remote;		/* :: = any */
	uint8_t		remote_plen;	/* 1..128 with a remote (128 one host) */
	uint16_t	remote_port;	/* 0 = any */
	uint64_t	packets, bytes;	/* inbound */
	char		desc[128];
};

/* "porthole-ctl 1": is line the version line, and of which version? -1 if not one. */
int	ctl_hello_version(const char *line);
/* 0, or -1 when line is no record (no type, a pair without '=', too many pairs). */
int	ctl_record_split(char *line, struct ctl_record *r);
/* The value of key, or NULL. */
const char *ctl_record_get(const struct ctl_record *r, const char *key);

/* The record line of m, without newline; its length, or -1 if it does not fit. */
int	ctl_mapping_format(const struct ctl_mapping *m, char *buf, size_t len);
/* A split "mapping" record into m; 0, or -1 when a field is missing or malformed. */
int	ctl_mapping_parse(const struct ctl_record *r, struct ctl_mapping *m);
/* The same for a pinhole record. */
int	ctl_pinhole_format(const struct ctl_pinhole *p, char *buf, size_t len);
int	ctl_pinhole_parse(const struct ctl_record *r, struct ctl_pinhole *p);

#endif
