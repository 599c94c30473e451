/*
 * config: a line parser over a table of directives. Every problem is
 * reported as "FILE:LINE: what is wrong" so the admin can fix it at once.
 */
#include "config.h"
#include "stun_msg.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct directive;
/* Checks one value and stores it in cfg; 0, or -EINVAL with why set. */
typedef int (*setter)(const struct directive *d, const char *v, struct config *cfg,
    char *why, size_t whylen);

struct directive {
	const char	*key;
	setter		 set;
	size_t		 offset, size;	/* the field in struct config */
	uint32_t	 min, max;	/* numbers */
	bool		 reloads;	/* SIGHUP applies it; otherwise it waits for a restart */
};

#define FIELD(f)	offsetof(struct config, f), sizeof(((struct config *)0)->f)
#define RELOADS		true
#define RESTART		false

static int set_string(const struct directive *, const char *, struct config *, char *, size_t);
static int set_ifname(const struct directive *, const char *, struct config *, char *, size_t);
static int set_table(const struct directive *, const char *, struct config *, char *, size_t);
static int set_path(const struct directive *, const char *, struct config *, char *, size_t);
static int set_lan(const struct directive *, const char *, struct config *, char *, size_t);
static int set_bool(const struct directive *, const char *, struct config *, char *, size_t);
static int set_number(const struct directive *, const char *, struct config *, char *, size_t);
static int set_ipv4(const struct directive *, const char *, struct config *, char *, size_t);
static int set_uuid(const struct directive *, const char *, struct config *, char *, size_t);
static int set_stun_server(const struct directive *, const char *, struct config *, char *, size_t);
static int set_upstream(const struct directive *, const char *, struct config *, char *, size_t);

/*
 * Every key: its setter (which is its validator), its field and bounds, and
 * whether a SIGHUP applies it. config_reload() and the changed-key names in
 * the log come from this table alone.
 */
static const struct directive directives[] = {
	{ "ext_ifname", set_ifname, FIELD(ext_ifname), 0, 0, RESTART },
	{ "ext_ip", set_ipv4, FIELD(ext_ip), 0, 0, RESTART },
	{ "lan_ifname", set_lan, FIELD(lan_ifname), 0, 0, RESTART },
	{ "table", set_table, FIELD(table), 0, 0, RESTART },
	{ "control_socket", set_path, FIELD(control_socket), 0, 0, RESTART },
	{ "lease_file", set_path, FIELD(lease_file), 0, 0, RESTART },
	{ "user", set_string, FIELD(user), 0, 0, RESTART },
	{ "enable_natpmp", set_bool, FIELD(enable_natpmp), 0, 0, RESTART },
	{ "enable_pcp", set_bool, FIELD(enable_pcp), 0, 0, RESTART },
	{ "enable_upnp", set_bool, FIELD(enable_upnp), 0, 0, RESTART },
	{ "igd_version", set_number, FIELD(igd_version), 1, 2, RESTART },
	{ "http_port", set_number, FIELD(http_port), 0, 65535, RESTART },
	{ "status_port", set_number, FIELD(status_port), 0, 65535, RESTART },
	{ "uuid", set_uuid, FIELD(uuid), 0, 0, RESTART },
	{ "min_lifetime", set_number, FIELD(min_lifetime), 1, 604800, RELOADS },
	{ "max_lifetime", set_number, FIELD(max_lifetime), 1, 604800, RELOADS },
	{ "max_leases", set_number, FIELD(max_leases), 1, 131070, RELOADS },
	{ "max_per_host", set_number, FIELD(max_per_host), 0, 131070, RELOADS },
	{ "max_pinholes", set_number, FIELD(max_pinholes), 1, 65535, RELOADS },
	{ "rate_limit", set_number, FIELD(rate_limit), 0, 100000, RELOADS },
	{ "secure_mode", set_bool, FIELD(secure_mode), 0, 0, RELOADS },
	{ "stun_server", set_stun_server, FIELD(stun_server), 0, 0, RESTART },
	{ "upstream", set_upstream, FIELD(upstream), 0, 0, RESTART },
	{ "upstream_required", set_bool, FIELD(upstream_required), 0, 0, RESTART },
};

static const char *const upstream_names[] = {
	[UPSTREAM_MODE_AUTO] = "auto", [UPSTREAM_MODE_OFF] = "off", [UPSTREAM_MODE_PCP] = "pcp",
	[UPSTREAM_MODE_NATPMP] = "natpmp", [UPSTREAM_MODE_UPNP] = "upnp",
};

const char *
config_upstream_name(enum upstream_mode m)
{
	return m <= UPSTREAM_MODE_UPNP ? upstream_names[m] : "?";
}
#define N_DIRECTIVES	(sizeof(directives) / sizeof(directives[0]))

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
	cfg->max_per_host = 256;
	cfg->max_pinholes = 4096;
	cfg->rate_limit = 0;
	cfg->secure_mode = true;
	cfg->upstream = UPSTREAM_MODE_AUTO;
	cfg->upstream_required = true;
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

static void *
field_of(const struct directive *d, struct config *cfg)
{
	return (char *)cfg + d->offset;
}

/* The whole field is cleared first, so comparing two configs byte by byte works. */
static int
set_string(const struct directive *d, const char *v, struct config *cfg, char *why, size_t whylen)
{
	if (strlen(v) >= d->size) {
		snprintf(why, whylen, "value too long (at most %zu characters)", d->size - 1);
		return -EINVAL;
	}
	memset(field_of(d, cfg), 0, d->size);
	memcpy(field_of(d, cfg), v, strlen(v));
	return 0;
}

static int
set_ifname(const struct directive *d, const char *v, struct config *cfg, char *why, size_t whylen)
{
	if (!valid_ifname(v)) {
		snprintf(why, whylen, "'%s' is not an interface name", v);
		return -EINVAL;
	}
	return set_string(d, v, cfg, why, whylen);
}

/* An nftables identifier: a letter or '_', then letters, digits, '_', '.' or '-'. */
static bool
valid_table(const char *v)
{
	if (!isalpha((unsigned char)*v) && *v != '_')
		return false;
	return strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
	    strlen(v);
}

static int
set_table(const struct directive *d, const char *v, struct config *cfg, char *why, size_t whylen)
{
	if (!valid_table(v)) {
		snprintf(why, whylen, "table: a table name is a letter or '_', then letters, "
		    "digits, '_', '.' or '-'");
		return -EINVAL;
	}
	return set_string(d, v, cfg, why, whylen);
}

/* An absolute path without control characters: the daemon runs from /. */
static int
set_path(const struct directive *d, const char *v, struct config *cfg, char *why, size_t whylen)
{
	bool ok = *v == '/';

	for (const char *c = v; ok && *c; c++)
		ok = (unsigned char)*c >= 0x20 && *c != 0x7f;
	if (!ok) {
		snprintf(why, whylen, "%s: an absolute path is needed (the daemon runs from /)", d->key);
		return -EINVAL;
	}
	return set_string(d, v, cfg, why, whylen);
}

static int
set_lan(const struct directive *d, const char *v, struct config *cfg, char *why, size_t whylen)
{
	(void)d;
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
}

static int
set_bool(const struct directive *d, const char *v, struct config *cfg, char *why, size_t whylen)
{
	if (parse_bool(v, field_of(d, cfg)) < 0) {
		snprintf(why, whylen, "'%s' is not yes or no", v);
		return -EINVAL;
	}
	return 0;
}

/* Any unsigned field; its size in the table says how wide it is. */
static int
set_number(const struct directive *d, const char *v, struct config *cfg, char *why, size_t whylen)
{
	void *field = field_of(d, cfg);
	uint64_t n;

	if (parse_number(v, d->min, d->max, &n) < 0) {
		if (d->max - d->min == 1)
			snprintf(why, whylen, "%s is %u or %u, not '%s'", d->key, d->min, d->max, v);
		else
			snprintf(why, whylen, "'%s' is not a number from %u to %u", v, d->min, d->max);
		return -EINVAL;
	}
	switch (d->size) {
	case sizeof(uint16_t): *(uint16_t *)field = (uint16_t)n; break;
	case sizeof(uint32_t): *(uint32_t *)field = (uint32_t)n; break;
	default: *(uint64_t *)field = n; break;
	}
	return 0;
}

bool
config_uuid_valid(const char *u)
{
	if (strlen(u) != CONFIG_UUID_LEN)
		return false;
	for (int i = 0; i < CONFIG_UUID_LEN; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? u[i] != '-' : !isxdigit((unsigned char)u[i]))
			return false;
	}
	return true;
}

/* Checked here, so a bad one is named with its line and `portholed -n` sees it. */
static int
set_uuid(const struct directive *d, const char *v, struct config *cfg, char *why, size_t whylen)
{
	if (!config_uuid_valid(strncmp(v, "uuid:", 5) ? v : v + 5)) {
		snprintf(why, whylen, "'%s' is not a UUID (want 8-4-4-4-12 hex digits)", v);
		return -EINVAL;
	}
	return set_string(d, v, cfg, why, whylen);
}

static int
set_stun_server(const struct directive *d, const char *v, struct config *cfg, char *why,
    size_t whylen)
{
	char host[STUN_HOST_MAX];
	uint16_t port;

	if (stun_server_parse(v, host, &port, why, whylen) < 0)
		return -EINVAL;
	return set_string(d, v, cfg, why, whylen);
}

static int
set_upstream(const struct directive *d, const char *v, struct config *cfg, char *why,
    size_t whylen)
{
	(void)d;
	for (int m = UPSTREAM_MODE_AUTO; m <= UPSTREAM_MODE_UPNP; m++)
		if (!strcmp(v, upstream_names[m])) {
			cfg->upstream = (enum upstream_mode)m;
			return 0;
		}
	snprintf(why, whylen, "upstream is auto, off, pcp, natpmp or upnp, not '%s'", v);
	return -EINVAL;
}

static int
set_ipv4(const struct directive *d, const char *v, struct config *cfg, char *why, size_t whylen)
{
	if (inet_pton(AF_INET, v, field_of(d, cfg)) != 1) {
		snprintf(why, whylen, "'%s' is not an IPv4 address", v);
		return -EINVAL;
	}
	return 0;
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
	for (size_t i = 0; i < N_DIRECTIVES; i++)
		if (!strcmp(key, directives[i].key))
			return directives[i].set(&directives[i], val, cfg, why, whylen);
	snprintf(why, whylen, "unknown key '%s'", key);
	return -EINVAL;
}

/* The problems found so far: one "FILE[:LINE]: what" line each, newline-separated. */
struct problems {
	const char	*name;
	char		*err;
	size_t		 errlen, used;
	unsigned	 n;
};

static void __attribute__((format(printf, 3, 4)))
problem(struct problems *p, unsigned lineno, const char *fmt, ...)
{
	char why[256];
	va_list ap;
	int n;

	if (p->n++ >= CONFIG_MAX_ERRORS || p->used >= p->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (lineno)
		n = snprintf(p->err + p->used, p->errlen - p->used, "%s%s:%u: %s",
		    p->used ? "\n" : "", p->name, lineno, why);
	else
		n = snprintf(p->err + p->used, p->errlen - p->used, "%s%s: %s",
		    p->used ? "\n" : "", p->name, why);
	p->used += n > 0 ? (size_t)n : 0;
}

/* What no single line shows: keys that are required or must agree. */
static void
validate(const struct config *cfg, struct problems *p)
{
	if (!cfg->ext_ifname[0])
		problem(p, 0, "ext_ifname is required (the WAN interface)");
	if (cfg->n_lan == 0)
		problem(p, 0, "at least one lan_ifname is required");
	for (int i = 0; i < cfg->n_lan; i++)
		if (!strcmp(cfg->lan_ifname[i], cfg->ext_ifname))
			problem(p, 0, "%s is both the WAN and a LAN interface", cfg->ext_ifname);
	if (cfg->min_lifetime > cfg->max_lifetime)
		problem(p, 0, "min_lifetime (%u) is above max_lifetime (%u)",
		    cfg->min_lifetime, cfg->max_lifetime);
	if (!cfg->table[0] || strlen(cfg->table) > 31)
		problem(p, 0, "table needs a name of 1 to 31 characters");
}

int
config_parse_buffer(const char *name, const char *text, struct config *cfg,
    char *err, size_t errlen)
{
	struct problems p = { name, err, errlen, 0, 0 };
	char line[512], why[256];
	unsigned lineno = 0;
	const char *s = text;

	config_defaults(cfg);
	if (errlen)
		err[0] = '\0';
	while (*s) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);

		lineno++;
		s += len + (nl ? 1 : 0);
		if (len >= sizeof(line)) {
			problem(&p, lineno, "line too long (at most %zu characters)", sizeof(line) - 1);
			continue;
		}
		memcpy(line, s - len - (nl ? 1 : 0), len);
		line[len] = '\0';
		if (memchr(line, '\0', len))
			problem(&p, lineno, "NUL byte in line");
		else if (parse_line(line, cfg, why, sizeof(why)) < 0)
			problem(&p, lineno, "%s", why);
	}
	validate(cfg, &p);
	if (p.n == 0)
		return 0;
	if (p.n > CONFIG_MAX_ERRORS && p.used < errlen)
		snprintf(err + p.used, errlen - p.used, "\n%s: %u more problems not shown", name,
		    p.n - CONFIG_MAX_ERRORS);
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

/* Copy the running value of every key that does not reload; name those that differed. */
static void
keep_restart_keys(const struct config *cur, struct config *next, char *restart, size_t len)
{
	size_t used = 0;

	if (len)
		restart[0] = '\0';
	for (size_t i = 0; i < N_DIRECTIVES; i++) {
		const struct directive *d = &directives[i];
		const char *was = (const char *)cur + d->offset;
		char *now = (char *)next + d->offset;

		if (d->reloads || !memcmp(was, now, d->size))
			continue;
		memcpy(now, was, d->size);
		if (used < len) {
			int n = snprintf(restart + used, len - used, "%s%s", used ? ", " : "", d->key);
			used += n > 0 ? (size_t)n : 0;
		}
	}
	/* The count of LAN interfaces follows the names, whichever were kept. */
	for (next->n_lan = 0; next->n_lan < CONFIG_MAX_LAN && next->lan_ifname[next->n_lan][0];)
		next->n_lan++;
}

int
config_reload(const char *path, const struct config *cur, struct config *next,
    char *restart, size_t restartlen, char *err, size_t errlen)
{
	int rc = config_load(path, next, err, errlen);

	if (rc == 0)
		keep_restart_keys(cur, next, restart, restartlen);
	return rc;
}
