/*
 * profile: the port lists a server wants mapped. The mail profile is a
 * table here; custom profiles come from a small text file parsed by
 * porthole_profile_parse(), which takes the text as hostile (bounded line
 * length, exact token checks) and does no I/O, so a fuzzer can call it.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "phc.h"

#define PROFILE_FILE_MAX	(64 * 1024)
#define PROFILE_LINE_MAX	256

struct builtin_port {
	const char	*name;
	uint8_t		 proto;
	uint16_t	 port;
	bool		 optional;
};

/* The classic mail-server port list (ARCHITECTURE.md, "The client"). */
static const struct builtin_port mail_ports[] = {
	{ "smtp",		IPPROTO_TCP, 25,   false },
	{ "submission",		IPPROTO_TCP, 587,  false },
	{ "smtps",		IPPROTO_TCP, 465,  false },
	{ "pop3",		IPPROTO_TCP, 110,  false },
	{ "pop3s",		IPPROTO_TCP, 995,  false },
	{ "imap",		IPPROTO_TCP, 143,  false },
	{ "imaps",		IPPROTO_TCP, 993,  false },
	{ "http",		IPPROTO_TCP, 80,   false },
	{ "https",		IPPROTO_TCP, 443,  false },
	{ "caldav",		IPPROTO_TCP, 8008, false },
	{ "caldav-tls",		IPPROTO_TCP, 8443, false },
	{ "carddav-tls",	IPPROTO_TCP, 8843, false },
	{ "rdp",		IPPROTO_TCP, 3389, true },
};

PORTHOLE_API int
porthole_profile_builtin(const char *name, struct porthole_profile *p)
{
	size_t i;

	if (name == NULL || p == NULL || strcmp(name, "mail") != 0)
		return PORTHOLE_ERR_PROFILE;
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	for (i = 0; i < sizeof(mail_ports) / sizeof(mail_ports[0]); i++) {
		struct porthole_port *pp = &p->port[p->n++];

		snprintf(pp->name, sizeof(pp->name), "%s", mail_ports[i].name);
		pp->proto = mail_ports[i].proto;
		pp->port = mail_ports[i].port;
		pp->optional = mail_ports[i].optional;
		pp->enabled = !pp->optional;
	}
	return 0;
}

PORTHOLE_API int
porthole_port_parse(const char *spec, uint8_t *proto, uint16_t *port)
{
	const char *slash;
	char *end;
	unsigned long v;

	if (spec == NULL || (slash = strchr(spec, '/')) == NULL)
		return PORTHOLE_ERR_PROFILE;
	if (slash - spec == 3 && strncasecmp(spec, "tcp", 3) == 0)
		*proto = IPPROTO_TCP;
	else if (slash - spec == 3 && strncasecmp(spec, "udp", 3) == 0)
		*proto = IPPROTO_UDP;
	else
		return PORTHOLE_ERR_PROFILE;
	if (!isdigit((unsigned char)slash[1]) || strlen(slash + 1) > 5)
		return PORTHOLE_ERR_PROFILE;
	errno = 0;
	v = strtoul(slash + 1, &end, 10);
	if (errno != 0 || *end != '\0' || v == 0 || v > 65535)
		return PORTHOLE_ERR_PROFILE;
	*port = (uint16_t)v;
	return 0;
}

static struct porthole_port *
profile_find(struct porthole_profile *p, uint8_t proto, uint16_t port)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (p->port[i].proto == proto && p->port[i].port == port)
			return &p->port[i];
	return NULL;
}

static bool
name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= PORTHOLE_NAME_MAX)
		return false;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.')
			return false;
	return true;
}

PORTHOLE_API int
porthole_profile_add(struct porthole_profile *p, const char *spec, const char *name)
{
	struct porthole_port *pp;
	uint8_t proto;
	uint16_t port;

	if (p == NULL || porthole_port_parse(spec, &proto, &port) != 0)
		return PORTHOLE_ERR_PROFILE;
	if (name != NULL && !name_valid(name))
		return PORTHOLE_ERR_PROFILE;
	if ((pp = profile_find(p, proto, port)) != NULL) {
		pp->enabled = true;
		return 0;
	}
	if (p->n >= PORTHOLE_PROFILE_MAX)
		return PORTHOLE_ERR_PROFILE;
	pp = &p->port[p->n++];
	memset(pp, 0, sizeof(*pp));
	if (name != NULL)
		snprintf(pp->name, sizeof(pp->name), "%s", name);
	else
		snprintf(pp->name, sizeof(pp->name), "%s-%u", phc_proto_name(proto), port);
	pp->proto = proto;
	pp->port = port;
	pp->enabled = true;
	return 0;
}

PORTHOLE_API int
porthole_profile_enable(struct porthole_profile *p, const char *what)
{
	struct porthole_port *pp = NULL;
	uint8_t proto;
	uint16_t port;
	size_t i;

	if (p == NULL || what == NULL)
		return PORTHOLE_ERR_INVAL;
	if (porthole_port_parse(what, &proto, &port) == 0)
		pp = profile_find(p, proto, port);
	for (i = 0; pp == NULL && i < p->n; i++)
		if (strcmp(p->port[i].name, what) == 0)
			pp = &p->port[i];
	if (pp == NULL)
		return PORTHOLE_ERR_PROFILE;
	pp->enabled = true;
	return 0;
}

/* Splits line into at most max blank-separated words; returns the count. */
static int
split_words(char *line, char **w, int max)
{
	int n = 0;
	char *s = line;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0')
			return n;
		if (n == max)
			return max + 1;
		w[n++] = s;
		while (*s != '\0' && *s != ' ' && *s != '\t')
			s++;
		if (*s != '\0')
			*s++ = '\0';
	}
}

static int
parse_line(char *line, struct porthole_profile *p, char *err, size_t errlen)
{
	char *w[4], *hash;
	struct porthole_port *pp;
	uint8_t proto;
	uint16_t port;
	int nw;

	if ((hash = strchr(line, '#')) != NULL)
		*hash = '\0';
	nw = split_words(line, w, 3);
	if (nw == 0)
		return 0;
	if (nw < 2 || nw > 3) {
		snprintf(err, errlen, "expected `NAME PROTO/PORT [optional]`");
		return -1;
	}
	if (!name_valid(w[0])) {
		snprintf(err, errlen, "bad name '%.40s' (letters, digits, - _ . up to %d)",
		    w[0], PORTHOLE_NAME_MAX - 1);
		return -1;
	}
	if (porthole_port_parse(w[1], &proto, &port) != 0) {
		snprintf(err, errlen, "bad port '%.40s' (want tcp/N or udp/N, N 1-65535)", w[1]);
		return -1;
	}
	if (nw == 3 && strcmp(w[2], "optional") != 0 && strcmp(w[2], "required") != 0) {
		snprintf(err, errlen, "unknown flag '%.40s' (want optional or required)", w[2]);
		return -1;
	}
	if (profile_find(p, proto, port) != NULL) {
		snprintf(err, errlen, "%s listed twice", w[1]);
		return -1;
	}
	if (p->n >= PORTHOLE_PROFILE_MAX) {
		snprintf(err, errlen, "more than %d ports", PORTHOLE_PROFILE_MAX);
		return -1;
	}
	pp = &p->port[p->n++];
	memset(pp, 0, sizeof(*pp));
	snprintf(pp->name, sizeof(pp->name), "%s", w[0]);
	pp->proto = proto;
	pp->port = port;
	pp->optional = nw == 3 && strcmp(w[2], "optional") == 0;
	pp->enabled = !pp->optional;
	return 0;
}

PORTHOLE_API int
porthole_profile_parse(const char *text, size_t len, struct porthole_profile *p,
    char *err, size_t errlen)
{
	char line[PROFILE_LINE_MAX], msg[160];
	size_t pos = 0, ll;
	unsigned lineno = 0;

	if (text == NULL || p == NULL || len > PROFILE_FILE_MAX)
		return PORTHOLE_ERR_PROFILE;
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "custom");
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);

		ll = (nl != NULL ? (size_t)(nl - text) : len) - pos;
		lineno++;
		if (ll >= sizeof(line)) {
			snprintf(msg, sizeof(msg), "line too long");
			goto bad;
		}
		memcpy(line, text + pos, ll);
		line[ll] = '\0';
		if (strlen(line) != ll) {
			snprintf(msg, sizeof(msg), "NUL byte in line");
			goto bad;
		}
		if (ll > 0 && line[ll - 1] == '\r')
			line[ll - 1] = '\0';
		if (parse_line(line, p, msg, sizeof(msg)) != 0)
			goto bad;
		pos += ll + 1;
	}
	if (p->n == 0) {
		lineno = 0;
		snprintf(msg, sizeof(msg), "no ports listed");
		goto bad;
	}
	return 0;
bad:
	if (err != NULL && errlen > 0 && lineno > 0)
		snprintf(err, errlen, "line %u: %s", lineno, msg);
	else if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", msg);
	return PORTHOLE_ERR_PROFILE;
}

PORTHOLE_API int
porthole_profile_load(const char *path, struct porthole_profile *p, char *err, size_t errlen)
{
	char *buf, line[200];
	ssize_t r;
	size_t len = 0;
	int fd, rc;
	const char *base;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return PORTHOLE_ERR_PROFILE;
	}
	if ((buf = malloc(PROFILE_FILE_MAX + 1)) == NULL) {
		close(fd);
		return PORTHOLE_ERR_SYSTEM;
	}
	while ((r = read(fd, buf + len, PROFILE_FILE_MAX + 1 - len)) > 0)
		len += (size_t)r;
	close(fd);
	if (r < 0 || len > PROFILE_FILE_MAX) {
		snprintf(err, errlen, "%s: %s", path, r < 0 ? strerror(errno) :
		    "larger than 64 KiB");
		free(buf);
		return PORTHOLE_ERR_PROFILE;
	}
	rc = porthole_profile_parse(buf, len, p, line, sizeof(line));
	free(buf);
	if (rc != 0) {
		snprintf(err, errlen, "%s: %s", path, line);
		return rc;
	}
	base = strrchr(path, '/');
	base = base != NULL ? base + 1 : path;
	snprintf(p->name, sizeof(p->name), "%.*s", (int)strcspn(base, "."), base);
	return 0;
}
