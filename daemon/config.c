/*
 * config: a line parser over a table of directives. Every problem is
 * reported as "FILE:LINE: what is wrong" so the admin can fix it at once.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum kind { K_STRING, K_BOOL, K_U32, K_SIZE, K_IPV4, K_LAN, K_IGD };

struct directive {
	const char	*key;
	enum kind	 kind;
	size_t		 offset;
	size_t		 size;		/* strings: buffer size */
	uint32_t	 min, max;	/* numbers */
};

#define STR(k, f)	{ k, K_STRING, offsetof(struct config, f), sizeof(((struct config *)0)->f), 0, 0 }
#define BOOL(k, f)	{ k, K_BOOL, offsetof(struct config, f), 0, 0, 0 }
#define U32(k, f, lo, hi) { k, K_U32, offsetof(struct config, f), 0, lo, hi }
#define SIZE(k, f, lo, hi) { k, K_SIZE, offsetof(struct config, f), 0, lo, hi }

static const struct directive directives[] = {
	STR("ext_ifname", ext_ifname),
	{ "ext_ip", K_IPV4, offsetof(struct config, ext_ip), 0, 0, 0 },
	{ "lan_ifname", K_LAN, 0, 0, 0, 0 },
	STR("table", table),
	STR("control_socket", control_socket),
	STR("lease_file", lease_file),
	BOOL("enable_natpmp", enable_natpmp),
	BOOL("enable_pcp", enable_pcp),
	BOOL("enable_upnp", enable_upnp),
	{ "igd_version", K_IGD, 0, 0, 1, 2 },
	U32("http_port", http_port, 0, 65535),
	STR("uuid", uuid),
	U32("min_lifetime", min_lifetime, 1, 604800),
	U32("max_lifetime", max_lifetime, 1, 604800),
	SIZE("max_leases", max_leases, 1, 131070),
	SIZE("max_per_host", max_per_host, 0, 131070),
	U32("rate_limit", rate_limit, 0, 100000),
	BOOL("secure_mode", secure_mode),
};

void
config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	strcpy(cfg->table, "porthole");
	strcpy(cfg->control_socket, "/run/portholed.sock");
	cfg->enable_natpmp = true;
	cfg->enable_pcp = true;
	cfg->enable_upnp = true;
	cfg->igd_version = 2;
	cfg->min_lifetime = 120;
	cfg->max_lifetime = 86400;
	cfg->max_leases = 131070;
	cfg->max_per_host = 0;
	cfg->rate_limit = 0;
	cfg->secure_mode = true;
}

void
config_free(struct config *cfg)
{
	free(cfg->policy.rules);
	cfg->policy.rules = NULL;
	cfg->policy.n_rules = 0;
}

static int
parse_number(const char *v, uint32_t lo, uint32_t hi, uint64_t *out)
{
	char *end;
	unsigned long long n;

	if (!isdigit((unsigned char)*v))
		return -EINVAL;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || *end || n < lo || n > hi)
		return -ERANGE;
	*out = n;
	return 0;
}

static int
parse_bool(const char *v, bool *out)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "on"))
		*out = true;
	else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "off"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

static int
valid_ifname(const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || n >= 16)
		return 0;
	for (; *v; v++)
		if (isspace((unsigned char)*v) || *v == '/')
			return 0;
	return 1;
}

static int
apply(const struct directive *d, const char *v, struct config *cfg, char *why, size_t whylen)
{
	char *field = (char *)cfg + d->offset;
	uint64_t n;

	switch (d->kind) {
	case K_STRING:
		if (strlen(v) >= d->size) {
			snprintf(why, whylen, "value too long (at most %zu characters)", d->size - 1);
			return -EINVAL;
		}
		if (!strcmp(d->key, "ext_ifname") && !valid_ifname(v)) {
			snprintf(why, whylen, "'%s' is not an interface name", v);
			return -EINVAL;
		}
		strcpy(field, v);
		return 0;
	case K_BOOL:
		if (parse_bool(v, (bool *)field) < 0) {
			snprintf(why, whylen, "'%s' is not yes or no", v);
			return -EINVAL;
		}
		return 0;
	case K_U32:
	case K_SIZE:
		if (parse_number(v, d->min, d->max, &n) < 0) {
			snprintf(why, whylen, "'%s' is not a number from %u to %u", v, d->min, d->max);
			return -EINVAL;
		}
		if (!strcmp(d->key, "http_port"))
			cfg->http_port = (uint16_t)n;
		else if (d->kind == K_U32)
			*(uint32_t *)field = (uint32_t)n;
		else
			*(size_t *)field = (size_t)n;
		return 0;
	case K_IPV4:
		if (inet_pton(AF_INET, v, field) != 1) {
			snprintf(why, whylen, "'%s' is not an IPv4 address", v);
			return -EINVAL;
		}
		return 0;
	case K_LAN:
		if (cfg->n_lan == CONFIG_MAX_LAN) {
			snprintf(why, whylen, "at most %d LAN interfaces", CONFIG_MAX_LAN);
			return -EINVAL;
		}
		if (!valid_ifname(v)) {
			snprintf(why, whylen, "'%s' is not an interface name", v);
			return -EINVAL;
		}
		strcpy(cfg->lan_ifname[cfg->n_lan++], v);
		return 0;
	case K_IGD:
		if (strcmp(v, "1") && strcmp(v, "2")) {
			snprintf(why, whylen, "igd_version is 1 or 2, not '%s'", v);
			return -EINVAL;
		}
		cfg->igd_version = v[0] - '0';
		return 0;
	}
	return -EINVAL;
}

static int
add_rule(struct config *cfg, const char *line, char *why, size_t whylen)
{
	struct policy_rule r, *nr;

	if (policy_parse_rule(line, &r, why, whylen) < 0)
		return -EINVAL;
	nr = realloc(cfg->policy.rules, (cfg->policy.n_rules + 1) * sizeof(*nr));
	if (!nr) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	nr[cfg->policy.n_rules++] = r;
	cfg->policy.rules = nr;
	return 0;
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int
parse_line(char *line, struct config *cfg, char *why, size_t whylen)
{
	char *hash = strchr(line, '#');
	char *eq, *key, *val;

	if (hash)
		*hash = '\0';
	line = trim(line);
	if (!*line)
		return 0;
	if (!strncmp(line, "allow", 5) || !strncmp(line, "deny", 4))
		if (isspace((unsigned char)line[line[0] == 'a' ? 5 : 4]))
			return add_rule(cfg, line, why, whylen);
	eq = strchr(line, '=');
	if (!eq) {
		snprintf(why, whylen, "expected key=value or an allow/deny rule");
		return -EINVAL;
	}
	*eq = '\0';
	key = trim(line);
	val = trim(eq + 1);
	for (size_t i = 0; i < sizeof(directives) / sizeof(directives[0]); i++)
		if (!strcmp(key, directives[i].key))
			return apply(&directives[i], val, cfg, why, whylen);
	snprintf(why, whylen, "unknown key '%s'", key);
	return -EINVAL;
}

static int
validate(struct config *cfg, char *why, size_t whylen)
{
	if (!cfg->ext_ifname[0]) {
		snprintf(why, whylen, "ext_ifname is required (the WAN interface)");
		return -EINVAL;
	}
	if (cfg->n_lan == 0) {
		snprintf(why, whylen, "at least one lan_ifname is required");
		return -EINVAL;
	}
	for (int i = 0; i < cfg->n_lan; i++)
		if (!strcmp(cfg->lan_ifname[i], cfg->ext_ifname)) {
			snprintf(why, whylen, "%s is both the WAN and a LAN interface", cfg->ext_ifname);
			return -EINVAL;
		}
	if (cfg->min_lifetime > cfg->max_lifetime) {
		snprintf(why, whylen, "min_lifetime (%u) is above max_lifetime (%u)",
		    cfg->min_lifetime, cfg->max_lifetime);
		return -EINVAL;
	}
	if (!cfg->table[0] || strlen(cfg->table) > 31) {
		snprintf(why, whylen, "table needs a name of 1 to 31 characters");
		return -EINVAL;
	}
	return 0;
}

int
config_parse_buffer(const char *name, const char *text, struct config *cfg,
    char *err, size_t errlen)
{
	char line[512], why[256];
	unsigned lineno = 0;
	const char *p = text;

	config_defaults(cfg);
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		lineno++;
		if (len >= sizeof(line)) {
			snprintf(err, errlen, "%s:%u: line too long (at most %zu characters)",
			    name, lineno, sizeof(line) - 1);
			goto fail;
		}
		memcpy(line, p, len);
		line[len] = '\0';
		if (memchr(line, '\0', len))
			snprintf(why, sizeof(why), "NUL byte in line");
		if (memchr(line, '\0', len) || parse_line(line, cfg, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "%s:%u: %s", name, lineno, why);
			goto fail;
		}
		p += len + (nl ? 1 : 0);
	}
	if (validate(cfg, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s: %s", name, why);
		goto fail;
	}
	return 0;
fail:
	config_free(cfg);
	return -EINVAL;
}

int
config_load(const char *path, struct config *cfg, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *text;
	long size;
	int rc;

	if (!f) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -errno;
	}
	if (fseek(f, 0, SEEK_END) < 0 || (size = ftell(f)) < 0 || size > 1 << 20 ||
	    fseek(f, 0, SEEK_SET) < 0) {
		snprintf(err, errlen, "%s: not a readable config file (at most 1 MiB)", path);
		fclose(f);
		return -EINVAL;
	}
	text = malloc((size_t)size + 1);
	if (!text || fread(text, 1, (size_t)size, f) != (size_t)size) {
		snprintf(err, errlen, "%s: read failed", path);
		free(text);
		fclose(f);
		return -EIO;
	}
	text[size] = '\0';
	fclose(f);
	if (strlen(text) != (size_t)size) {
		snprintf(err, errlen, "%s: contains a NUL byte", path);
		free(text);
		return -EINVAL;
	}
	rc = config_parse_buffer(path, text, cfg, err, errlen);
	free(text);
	return rc;
}
