/*
 * config: portholed.conf, key=value lines plus allow/deny rules (policy.h).
 * '#' starts a comment. Every key is listed in config.c's directive table
 * and documented in README.md and portholed.conf(5).
 */
#ifndef PORTHOLE_CONFIG_H
#define PORTHOLE_CONFIG_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

#define CONFIG_MAX_LAN	8
#define CONFIG_NAME_MAX	64
#define CONFIG_PATH_MAX	256
#define CONFIG_UUID_LEN	36	/* 8-4-4-4-12 hex digits */

/* upstream=: whether leases are also mapped on the gateway in front. */
enum upstream_mode {
	UPSTREAM_MODE_AUTO = 0,	/* when the WAN address is private or shared */
	UPSTREAM_MODE_OFF,
	UPSTREAM_MODE_PCP,		/* forced protocols */
	UPSTREAM_MODE_NATPMP,
	UPSTREAM_MODE_UPNP,
};

struct config {
	char		ext_ifname[CONFIG_NAME_MAX];
	struct in_addr	ext_ip;			/* 0 = read from ext_ifname */
	char		lan_ifname[CONFIG_MAX_LAN][CONFIG_NAME_MAX];
	int		n_lan;
	char		table[CONFIG_NAME_MAX];		/* nftables table (inet) */
	char		control_socket[CONFIG_PATH_MAX];
	char		lease_file[CONFIG_PATH_MAX];	/* "" = leases not kept */
	char		user[CONFIG_NAME_MAX];		/* "" = one process; else privsep.h */

	bool		enable_natpmp;
	bool		enable_pcp;
	bool		enable_upnp;
	int		igd_version;		/* 1 or 2 */
	uint16_t	http_port;		/* UPnP HTTP; 0 = pick */
	uint16_t	status_port;		/* operator pages; 0 = off (default) */
	char		uuid[40];		/* UPnP device UUID; "" = derived */

	uint32_t	min_lifetime;		/* PCP clamp, seconds */
	uint32_t	max_lifetime;
	size_t		max_leases;
	size_t		max_per_host;
	size_t		max_pinholes;		/* IPv6 pinholes in the table */
	uint32_t	rate_limit;		/* requests/s per host; 0 = off */
	bool		secure_mode;		/* UPnP: host may map only itself */
	char		stun_server[CONFIG_PATH_MAX];	/* "host[:port]"; "" = no STUN */
	enum upstream_mode upstream;
	bool		upstream_required;	/* refused upstream = refused here */

	struct policy	policy;
};

#define CONFIG_MAX_ERRORS 20	/* problems reported from one file */

/*
 * Defaults, then the file. On error err holds one "FILE:LINE: problem" line
 * per problem (FILE: alone for keys missing or in conflict), newline-separated,
 * at most CONFIG_MAX_ERRORS of them, and *cfg holds nothing to free.
 */
int	config_load(const char *path, struct config *cfg, char *err, size_t errlen);
int	config_parse_buffer(const char *name, const char *text, struct config *cfg,
	    char *err, size_t errlen);
/*
 * SIGHUP: load path into *next. Keys the directive table marks as needing a
 * restart keep their running values from *cur, and the names of those that
 * changed go into restart ("http_port, uuid", or "") so the log can say so.
 * 0, or -errno with err set as config_load() sets it.
 */
int	config_reload(const char *path, const struct config *cur, struct config *next,
	    char *restart, size_t restartlen, char *err, size_t errlen);
void	config_defaults(struct config *cfg);
/* Is u a UUID in the 8-4-4-4-12 form (without "uuid:")? */
bool	config_uuid_valid(const char *u);
void	config_free(struct config *cfg);
const char *config_upstream_name(enum upstream_mode m);

#endif
