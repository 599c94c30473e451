/*
 * state: the mappings a process made, kept in a small text file so that a
 * later `porthole status` or `porthole unmap` can find them (protocol,
 * PCP nonce, lease). One line a mapping with a fixed field count:
 *
 *   map NAME PROTO PORT METHOD INT_ADDR EXT_ADDR EXT_PORT LIFETIME
 *       OBTAINED EPOCH NONCE ERROR HOLDER .
 *   pin NAME PROTO PORT METHOD ADDR6 EXT_PORT LIFETIME
 *       OBTAINED EPOCH NONCE PINHOLE_ID ERROR .
 *
 * (map: an IPv4 mapping; pin: an IPv6 pinhole for ADDR6, the port the same
 * outside and in.)
 * The parser takes the file as hostile and does no I/O; saving writes a
 * temporary file and renames it, so a reader never sees half a file.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "phc.h"

#define STATE_MAGIC	"porthole-state 1"
#define STATE_LINE_MAX	512
#define STATE_FILE_MAX	(PORTHOLE_MAPPING_MAX * STATE_LINE_MAX)
#define STATE_FIELDS	15
#define PIN_FIELDS	14

/*
 * root: /var/lib/porthole/state (the system's, for porthole-keep). Anyone
 * else cannot write there, and a mapping made without a state file to
 * remember it is orphaned: their own XDG state directory instead.
 */
PORTHOLE_API const char *
porthole_state_default(void)
{
	static _Thread_local char path[PATH_MAX];
	const char *e = getenv("PORTHOLE_STATE"), *xdg = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");

	if (e != NULL && e[0] != '\0')
		return e;
	if (geteuid() == 0)
		return PHC_DEFAULT_STATE;
	/* XDG: a relative XDG_STATE_HOME is invalid and is ignored. */
	if (xdg != NULL && xdg[0] == '/' &&
	    (size_t)snprintf(path, sizeof(path), "%s/porthole/state", xdg) < sizeof(path))
		return path;
	if (home != NULL && home[0] == '/' && (size_t)snprintf(path, sizeof(path),
	    "%s/.local/state/porthole/state", home) < sizeof(path))
		return path;
	return PHC_DEFAULT_STATE;
}

static bool
num(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9' || strlen(s) > 20)
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return false;
	*out = v;
	return true;
}

static bool
signed_num(const char *s, int64_t min, int64_t max, int64_t *out)
{
	uint64_t v;

	if (*s == '-') {
		if (!num(s + 1, (uint64_t)-(min + 1) + 1, &v))
			return false;
		*out = -(int64_t)(v - 1) - 1;
		return true;
	}
	if (!num(s, (uint64_t)max, &v))
		return false;
	*out = (int64_t)v;
	return true;
}

static bool
hex_nonce(const char *s, uint8_t nonce[12])
{
	unsigned i, hi, lo;
	const char *digits = "0123456789abcdef";
	const char *a, *b;

	if (strlen(s) != 24)
		return false;
	for (i = 0; i < 12; i++) {
		if ((a = strchr(digits, s[2 * i])) == NULL || s[2 * i] == '\0' ||
		    (b = strchr(digits, s[2 * i + 1])) == NULL || s[2 * i + 1] == '\0')
			return false;
		hi = (unsigned)(a - digits);
		lo = (unsigned)(b - digits);
		nonce[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

/* NAME PROTO PORT METHOD: the fields both kinds of line start with. */
static bool
head_fields(char **f, struct porthole_mapping *m)
{
	uint64_t v;

	memset(m, 0, sizeof(*m));
	if (strlen(f[1]) >= sizeof(m->name))
		return false;
	memcpy(m->name, f[1], strlen(f[1]) + 1);
	if (strcmp(f[2], "tcp") == 0)
		m->proto = IPPROTO_TCP;
	else if (strcmp(f[2], "udp") == 0)
		m->proto = IPPROTO_UDP;
	else
		return false;
	if (!num(f[3], 65535, &v) || v == 0)
		return false;
	m->internal_port = (uint16_t)v;
	return porthole_method_parse(f[4], &m->method) == 0;
}

/* EXT_PORT LIFETIME OBTAINED EPOCH NONCE, from f[0] on. */
static bool
lease_fields(char **f, struct porthole_mapping *m)
{
	uint64_t v;

	if (!num(f[0], 65535, &v))
		return false;
	m->external_port = (uint16_t)v;
	if (!num(f[1], UINT32_MAX, &v))
		return false;
	m->lifetime = (uint32_t)v;
	if (!signed_num(f[2], INT64_MIN, INT64_MAX, &m->obtained))
		return false;
	if (!num(f[3], UINT32_MAX, &v))
		return false;
	m->epoch = (uint32_t)v;
	return hex_nonce(f[4], m->nonce);
}

static bool
error_field(const char *f, struct porthole_mapping *m)
{
	int64_t sv;

	if (!signed_num(f, -1000, 0, &sv))
		return false;
	m->error = (int)sv;
	return true;
}

static bool
map_line(char **f, struct porthole_mapping *m)
{
	return inet_pton(AF_INET, f[5], &m->internal_addr) == 1 &&
	    inet_pton(AF_INET, f[6], &m->external_addr) == 1 && lease_fields(f + 7, m) &&
	    error_field(f[12], m) && inet_pton(AF_INET, f[13], &m->holder) == 1 &&
	    strcmp(f[14], ".") == 0;
}

static bool
pin_line(char **f, struct porthole_mapping *m)
{
	uint64_t v;

	m->family = AF_INET6;
	if (inet_pton(AF_INET6, f[5], &m->address6) != 1 || !lease_fields(f + 6, m) ||
	    !num(f[11], 65535, &v))
		return false;
	m->pinhole_id = (uint32_t)v;
	return error_field(f[12], m) && strcmp(f[13], ".") == 0;
}

static bool
state_line(char *line, struct porthole_mapping *m)
{
	char *f[STATE_FIELDS + 1], *save = NULL, *tok;
	int n = 0;

	for (tok = strtok_r(line, " ", &save); tok != NULL && n <= STATE_FIELDS;
	    tok = strtok_r(NULL, " ", &save))
		f[n++] = tok;
	if (n == STATE_FIELDS && strcmp(f[0], "map") == 0)
		return head_fields(f, m) && map_line(f, m);
	if (n == PIN_FIELDS && strcmp(f[0], "pin") == 0)
		return head_fields(f, m) && pin_line(f, m);
	return false;
}

int
phc_state_parse(const char *text, size_t len, struct porthole_mapping *m, size_t *n)
{
	char line[STATE_LINE_MAX];
	size_t pos = 0, ll, room = *n, used = 0;
	bool first = true;

	*n = 0;
	if (len > STATE_FILE_MAX)
		return PORTHOLE_ERR_STATE;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);

		if (nl == NULL)
			return PORTHOLE_ERR_STATE;	/* every line ends: no torn write */
		ll = (size_t)(nl - text) - pos;
		if (ll >= sizeof(line))
			return PORTHOLE_ERR_STATE;
		memcpy(line, text + pos, ll);
		line[ll] = '\0';
		pos += ll + 1;
		if (strlen(line) != ll)
			return PORTHOLE_ERR_STATE;
		if (first) {
			if (strcmp(line, STATE_MAGIC) != 0)
				return PORTHOLE_ERR_STATE;
			first = false;
			continue;
		}
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (used == room || !state_line(line, &m[used]))
			return PORTHOLE_ERR_STATE;
		used++;
	}
	if (first)
		return PORTHOLE_ERR_STATE;
	*n = used;
	return 0;
}

static int
format_line(char *buf, size_t len, const struct porthole_mapping *m)
{
	char ia[INET6_ADDRSTRLEN], ea[INET_ADDRSTRLEN], ha[INET_ADDRSTRLEN], nonce[25];
	const char *name = m->name[0] != '\0' ? m->name : "-";
	size_t j;

	for (j = 0; j < 12; j++)
		snprintf(nonce + 2 * j, 3, "%02x", m->nonce[j]);
	if (m->family == AF_INET6) {
		inet_ntop(AF_INET6, &m->address6, ia, sizeof(ia));
		return snprintf(buf, len, "pin %s %s %u %s %s %u %u %lld %u %s %u %d .\n", name,
		    phc_proto_name(m->proto), m->internal_port, porthole_method_name(m->method),
		    ia, m->external_port, m->lifetime, (long long)m->obtained, m->epoch, nonce,
		    m->pinhole_id, m->error);
	}
	inet_ntop(AF_INET, &m->internal_addr, ia, sizeof(ia));
	inet_ntop(AF_INET, &m->external_addr, ea, sizeof(ea));
	inet_ntop(AF_INET, &m->holder, ha, sizeof(ha));
	return snprintf(buf, len, "map %s %s %u %s %s %s %u %u %lld %u %s %d %s .\n", name,
	    phc_proto_name(m->proto), m->internal_port, porthole_method_name(m->method), ia, ea,
	    m->external_port, m->lifetime, (long long)m->obtained, m->epoch, nonce, m->error, ha);
}

int
phc_state_format(char *buf, size_t len, const struct porthole_mapping *m, size_t n)
{
	size_t i, pos;
	int r;

	r = snprintf(buf, len, "%s\n# mappings made by porthole; rewritten as they change\n",
	    STATE_MAGIC);
	if (r < 0 || (size_t)r >= len)
		return PORTHOLE_ERR_INVAL;
	pos = (size_t)r;
	for (i = 0; i < n; i++) {
		r = format_line(buf + pos, len - pos, &m[i]);
		if (r < 0 || (size_t)r >= len - pos)
			return PORTHOLE_ERR_INVAL;
		pos += (size_t)r;
	}
	return (int)pos;
}

/* Creates the directories above path (0700 below an existing one, as XDG asks). */
static int
mkdir_parent(const char *path)
{
	char dir[PATH_MAX];
	char *slash, *p, c;

	if (strlen(path) >= sizeof(dir))
		return -1;
	memcpy(dir, path, strlen(path) + 1);
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
		return 0;
	*slash = '\0';
	for (p = dir + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		c = *p;
		*p = '\0';
		if (mkdir(dir, 0700) == -1 && errno != EEXIST)
			return -1;
		if ((*p = c) == '\0')
			return 0;
	}
}

static void
tmp_name(char *tmp, size_t len, const char *path)
{
	/* Per process: a keeper and a CLI may save at the same moment. */
	snprintf(tmp, len, "%s.%ld.tmp", path, (long)getpid());
}

PORTHOLE_API int
porthole_state_writable(const char *path)
{
	char tmp[PATH_MAX + 32];
	int fd;

	if (path == NULL || strlen(path) >= PATH_MAX)
		return PORTHOLE_ERR_INVAL;
	tmp_name(tmp, sizeof(tmp), path);
	if (mkdir_parent(path) == -1 ||
	    (fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) == -1)
		return PORTHOLE_ERR_SYSTEM;
	close(fd);
	unlink(tmp);
	return 0;
}

PORTHOLE_API int
porthole_state_save(const char *path, const struct porthole_mapping *m, size_t n)
{
	char tmp[PATH_MAX + 32];
	char *buf;
	int len, fd, rc = 0;

	if (path == NULL || n > PORTHOLE_MAPPING_MAX || strlen(path) >= PATH_MAX)
		return PORTHOLE_ERR_INVAL;
	if ((buf = malloc(STATE_FILE_MAX)) == NULL)
		return PORTHOLE_ERR_SYSTEM;
	if ((len = phc_state_format(buf, STATE_FILE_MAX, m, n)) < 0) {
		free(buf);
		return len;
	}
	tmp_name(tmp, sizeof(tmp), path);
	if (mkdir_parent(path) == -1 ||
	    (fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) == -1) {
		free(buf);
		return PORTHOLE_ERR_SYSTEM;
	}
	if (write(fd, buf, (size_t)len) != len || fsync(fd) == -1)
		rc = PORTHOLE_ERR_SYSTEM;
	if (close(fd) == -1)
		rc = PORTHOLE_ERR_SYSTEM;
	if (rc == 0 && rename(tmp, path) == -1)
		rc = PORTHOLE_ERR_SYSTEM;
	if (rc != 0)
		unlink(tmp);
	free(buf);
	return rc;
}

PORTHOLE_API int
porthole_state_load(const char *path, struct porthole_mapping *m, size_t *n)
{
	char *buf;
	ssize_t r;
	size_t len = 0;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT) {
			*n = 0;
			return 0;
		}
		return PORTHOLE_ERR_SYSTEM;	/* errno says why */
	}
	if ((buf = malloc(STATE_FILE_MAX + 1)) == NULL) {
		close(fd);
		return PORTHOLE_ERR_SYSTEM;
	}
	while (len <= STATE_FILE_MAX &&
	    (r = read(fd, buf + len, STATE_FILE_MAX + 1 - len)) > 0)
		len += (size_t)r;
	close(fd);
	rc = phc_state_parse(buf, len, m, n);
	free(buf);
	return rc;
}
