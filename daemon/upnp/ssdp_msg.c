/*
 * ssdp_msg: SSDP without sockets. The device trees as data, the M-SEARCH
 * parser, search-target matching, the text of replies and NOTIFYs, and the
 * arithmetic of when and how much to answer. Everything here is a pure
 * function of its arguments (and of a budget the caller keeps), so the unit
 * tests and the fuzzer call it directly.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "upnp.h"

static const struct upnp_service services[SVC_COUNT] = {
	[SVC_WANIPC2] = { "WANIPConnection", 2, "/ctl/IPConn2", "/evt/IPConn2",
			  "/scpd/WANIPConnection2.xml" },
	[SVC_WANIPC1] = { "WANIPConnection", 1, "/ctl/IPConn1", "/evt/IPConn1",
			  "/scpd/WANIPConnection1.xml" },
	[SVC_WANCIC1] = { "WANCommonInterfaceConfig", 1, "/ctl/CmnIfCfg", "/evt/CmnIfCfg",
			  "/scpd/WANCommonInterfaceConfig1.xml" },
	[SVC_L3F1]    = { "Layer3Forwarding", 1, "/ctl/L3F", "/evt/L3F",
			  "/scpd/Layer3Forwarding1.xml" },
	[SVC_V6FC1]   = { "WANIPv6FirewallControl", 1, "/ctl/IP6FCtl", "/evt/IP6FCtl",
			  "/scpd/WANIPv6FirewallControl1.xml" },
};

/* Order matters: it is the order of ssdp:all replies and NOTIFYs. */
static const struct upnp_adv advs_v2[] = {
	{ UPNP_DEV_ROOT, false, "InternetGatewayDevice", 2 },
	{ UPNP_DEV_WAN, false, "WANDevice", 2 },
	{ UPNP_DEV_WAN, true, "WANCommonInterfaceConfig", 1 },
	{ UPNP_DEV_CONN, false, "WANConnectionDevice", 2 },
	{ UPNP_DEV_CONN, true, "WANIPv6FirewallControl", 1 },
	{ UPNP_DEV_CONN, true, "WANIPConnection", 2 },
};

static const struct upnp_adv advs_v1[] = {
	{ UPNP_DEV_ROOT, false, "InternetGatewayDevice", 1 },
	{ UPNP_DEV_ROOT, true, "Layer3Forwarding", 1 },
	{ UPNP_DEV_WAN, false, "WANDevice", 1 },
	{ UPNP_DEV_WAN, true, "WANCommonInterfaceConfig", 1 },
	{ UPNP_DEV_CONN, false, "WANConnectionDevice", 1 },
	{ UPNP_DEV_CONN, true, "WANIPConnection", 1 },
};

static const struct upnp_tree trees[2] = {
	{ 1, "/igd1.xml", advs_v1, sizeof(advs_v1) / sizeof(advs_v1[0]),
	  1u << SVC_WANIPC1 | 1u << SVC_WANCIC1 | 1u << SVC_L3F1 },
	{ 2, "/igd2.xml", advs_v2, sizeof(advs_v2) / sizeof(advs_v2[0]),
	  1u << SVC_WANIPC2 | 1u << SVC_WANCIC1 | 1u << SVC_V6FC1 },
};

const struct upnp_tree *
upnp_tree(int igd_ver)
{
	return igd_ver == 1 ? &trees[0] : igd_ver == 2 ? &trees[1] : NULL;
}

const struct upnp_service *
upnp_service(enum upnp_svc svc)
{
	return (unsigned)svc < SVC_COUNT ? &services[svc] : NULL;
}

/* --- M-SEARCH parser ------------------------------------------------------ */

/* Next CRLF- (or LF-) terminated line of [*p, end); false at the end. */
static bool
next_line(const char **p, const char *end, const char **line, size_t *len)
{
	const char *s = *p, *nl;

	if (s >= end)
		return false;
	nl = memchr(s, '\n', (size_t)(end - s));
	*line = s;
	*len = nl ? (size_t)(nl - s) : (size_t)(end - s);
	*p = nl ? nl + 1 : end;
	if (*len && s[*len - 1] == '\r')
		(*len)--;
	return true;
}

static void
trim(const char **s, size_t *len)
{
	while (*len && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*len)--;
	}
	while (*len && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
		(*len)--;
}

static int
parse_mx(const char *v, size_t len)
{
	int mx = 0;

	if (len == 0 || len > 4)
		return -2;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)v[i]))
			return -2;
		mx = mx * 10 + (v[i] - '0');
	}
	return mx;
}

int
ssdp_parse_msearch(const char *buf, size_t len, struct ssdp_search *out, const char **why)
{
	static const char reqline[] = "M-SEARCH * HTTP/1.";
	const char *p = buf, *end = buf + len, *line;
	size_t ll;
	bool man = false;

	memset(out, 0, sizeof(*out));
	out->mx = -1;
	if (!next_line(&p, end, &line, &ll) || ll < sizeof(reqline) ||
	    memcmp(line, reqline, sizeof(reqline) - 1) != 0) {
		*why = "not an M-SEARCH";
		return -1;
	}
	while (next_line(&p, end, &line, &ll) && ll > 0) {
		const char *colon = memchr(line, ':', ll);
		if (!colon) {
			*why = "header without colon";
			return -1;
		}
		const char *name = line, *val = colon + 1;
		size_t nl = (size_t)(colon - line), vl = ll - nl - 1;
		trim(&name, &nl);
		trim(&val, &vl);
		if (nl == 2 && strncasecmp(name, "ST", 2) == 0) {
			if (vl == 0 || vl >= sizeof(out->st)) {
				*why = "bad ST";
				return -1;
			}
			memcpy(out->st, val, vl);
			out->st[vl] = '\0';
		} else if (nl == 2 && strncasecmp(name, "MX", 2) == 0) {
			out->mx = parse_mx(val, vl);
			if (out->mx < 0) {
				*why = "bad MX";
				return -1;
			}
		} else if (nl == 3 && strncasecmp(name, "MAN", 3) == 0) {
			man = (vl == 15 && memcmp(val, "\"ssdp:discover\"", 15) == 0) ||
			    (vl == 13 && memcmp(val, "ssdp:discover", 13) == 0);
		}
	}
	if (!man) {
		*why = "MAN is not \"ssdp:discover\"";
		return -1;
	}
	if (!out->st[0]) {
		*why = "no ST";
		return -1;
	}
	return 0;
}

/* --- matching ------------------------------------------------------------- */

static size_t
add(struct ssdp_answer *out, size_t n, size_t max, struct ssdp_answer a)
{
	if (n < max)
		out[n] = a;
	return n + 1;
}

static const struct upnp_adv *
find_adv(const struct upnp_tree *t, bool svc, const char *name)
{
	for (size_t i = 0; i < t->n_advs; i++)
		if (t->advs[i].svc == svc && strcmp(t->advs[i].name, name) == 0)
			return &t->advs[i];
	return NULL;
}

/* Does the IGD:2 tree lack this IGD:1 type at its exact version? */
static bool
v1_only(const struct upnp_adv *a1)
{
	const struct upnp_adv *a2 = find_adv(upnp_tree(2), a1->svc, a1->name);

	return !a2 || a2->ver != a1->ver;
}

/* In IGD:2 mode, the types only the IGD:1 tree has, from the IGD:1 tree. */
static size_t
add_v1_only(int primary, bool with_v1, struct ssdp_answer *out, size_t n, size_t max)
{
	const struct upnp_tree *v1 = upnp_tree(1);

	for (size_t i = 0; primary == 2 && with_v1 && i < v1->n_advs; i++) {
		const struct upnp_adv *a = &v1->advs[i];
		if (v1_only(a))
			n = add(out, n, max, (struct ssdp_answer){ v1, SSDP_ANS_TYPE, a->dev, a, a->ver });
	}
	return n;
}

/*
 * The primary tree's advertisements (root, UUIDs and types) and, in IGD:2
 * mode, the types only the IGD:1 tree has, each with the LOCATION a search
 * for it alone gets (match_type). The IGD:1 types go before the primary
 * tree's last one: clients that keep the first answer and miniupnpc, which
 * puts each answer at the head of its list and so tries the last one first,
 * both end up with the primary tree.
 */
size_t
ssdp_all(int primary, bool with_v1, struct ssdp_answer *out, size_t max)
{
	const struct upnp_tree *t = upnp_tree(primary);
	size_t n = 0;

	if (!t)
		return 0;
	for (size_t i = 0; i < t->n_advs; i++) {
		const struct upnp_adv *a = &t->advs[i];
		if (i == t->n_advs - 1)
			n = add_v1_only(primary, with_v1, out, n, max);
		if (!a->svc && a->dev == UPNP_DEV_ROOT)
			n = add(out, n, max, (struct ssdp_answer){ t, SSDP_ANS_ROOT, a->dev, NULL, 0 });
		if (!a->svc)
			n = add(out, n, max, (struct ssdp_answer){ t, SSDP_ANS_UUID, a->dev, NULL, 0 });
		n = add(out, n, max, (struct ssdp_answer){ t, SSDP_ANS_TYPE, a->dev, a, a->ver });
	}
	return n < max ? n : max;
}

/* "urn:schemas-upnp-org:device:NAME:VER" -> svc, NAME, VER. */
static bool
parse_urn(const char *st, bool *svc, char *name, size_t namelen, unsigned *ver)
{
	static const char pfx[] = "urn:schemas-upnp-org:";
	const char *p, *colon;

	if (strncmp(st, pfx, sizeof(pfx) - 1) != 0)
		return false;
	p = st + sizeof(pfx) - 1;
	if (strncmp(p, "device:", 7) == 0)
		*svc = false;
	else if (strncmp(p, "service:", 8) == 0)
		*svc = true;
	else
		return false;
	p = strchr(p, ':') + 1;
	colon = strchr(p, ':');
	if (!colon || colon == p || (size_t)(colon - p) >= namelen)
		return false;
	memcpy(name, p, (size_t)(colon - p));
	name[colon - p] = '\0';
	int v = parse_mx(colon + 1, strlen(colon + 1));
	if (v <= 0 || v > 255)
		return false;
	*ver = (unsigned)v;
	return true;
}

/*
 * A search for an exact version the primary tree lacks but the IGD:1 tree
 * has (IGD:1, WANIPConnection:1 in IGD:2 mode) is answered from the IGD:1
 * tree, so the client reads a description it understands (unless with_v1
 * is false). Otherwise the primary tree answers for its version and every
 * lower one, echoing the version asked for.
 */
static size_t
match_type(int primary, bool with_v1, const char *st, struct ssdp_answer *out, size_t max)
{
	const struct upnp_tree *t = upnp_tree(primary);
	const struct upnp_adv *a;
	char name[64];
	unsigned ver;
	bool svc;

	if (!parse_urn(st, &svc, name, sizeof(name), &ver))
		return 0;
	a = find_adv(t, svc, name);
	if (primary == 2 && with_v1 && (!a || a->ver != ver)) {
		const struct upnp_adv *a1 = find_adv(upnp_tree(1), svc, name);
		if (a1 && a1->ver == ver) {
			t = upnp_tree(1);
			a = a1;
		}
	}
	if (!a || ver > a->ver)
		return 0;
	return add(out, 0, max, (struct ssdp_answer){ t, SSDP_ANS_TYPE, a->dev, a, (uint8_t)ver });
}

size_t
ssdp_match(int primary, bool with_v1, const char (*uuid)[UPNP_UUID_LEN + 1], const char *st,
    struct ssdp_answer *out, size_t max)
{
	const struct upnp_tree *t = upnp_tree(primary);

	if (!t || max == 0)
		return 0;
	if (strcmp(st, "ssdp:all") == 0)
		return ssdp_all(primary, with_v1, out, max);
	if (strcmp(st, "upnp:rootdevice") == 0)
		return add(out, 0, max, (struct ssdp_answer){ t, SSDP_ANS_ROOT, UPNP_DEV_ROOT, NULL, 0 });
	if (strncmp(st, "uuid:", 5) == 0) {
		for (int d = 0; d < UPNP_NDEV; d++)
			if (strcasecmp(st + 5, uuid[d]) == 0)
				return add(out, 0, max,
				    (struct ssdp_answer){ t, SSDP_ANS_UUID, (enum upnp_dev)d, NULL, 0 });
		return 0;
	}
	return match_type(primary, with_v1, st, out, max);
}

/* --- when and how much to answer ------------------------------------------ */

/*
 * UDA 1.1 lets a device wait anywhere in 0..MX before it answers a multicast
 * search, so that many devices do not answer at once. Clients do not wait
 * that long: libupnp starts its MX timer before it sends its IPv4 search, and
 * others wait a fixed time shorter than the MX they send. A spread of 100 ms
 * still keeps answers apart; unicast searches (and MX: 0) are answered at once.
 */
uint32_t
ssdp_reply_delay_ms(bool multicast, int mx, uint32_t rnd)
{
	if (!multicast || mx < 1)
		return 0;
	return rnd % (SSDP_SPREAD_MS + 1);
}

void
ssdp_budget_init(struct ssdp_budget *b, uint64_t now_ms)
{
	b->milli = SSDP_BUDGET_BURST * 1000u;
	b->last_ms = now_ms;
}

/* Whole searches only: an ssdp:all answer is never cut short. */
bool
ssdp_budget_take(struct ssdp_budget *b, uint64_t now_ms, uint32_t n)
{
	/* SSDP_BUDGET_RATE per second is that many thousandths per ms. */
	uint64_t cap = SSDP_BUDGET_BURST * 1000u;
	uint64_t milli = b->milli + (now_ms > b->last_ms ? now_ms - b->last_ms : 0) *
	    SSDP_BUDGET_RATE;

	b->milli = (uint32_t)(milli < cap ? milli : cap);
	b->last_ms = now_ms;
	if (b->milli < (uint64_t)n * 1000)
		return false;
	b->milli -= n * 1000;
	return true;
}

/* --- formatting ----------------------------------------------------------- */

/* The NT (NOTIFY) or ST (reply) value of an answer. */
static void
nt_of(const struct ssdp_fmt *f, const struct ssdp_answer *a, char *buf, size_t len)
{
	switch (a->kind) {
	case SSDP_ANS_ROOT:
		snprintf(buf, len, "upnp:rootdevice");
		break;
	case SSDP_ANS_UUID:
		snprintf(buf, len, "uuid:%s", f->uuid[a->dev]);
		break;
	case SSDP_ANS_TYPE:
		snprintf(buf, len, "urn:schemas-upnp-org:%s:%s:%u",
		    a->adv->svc ? "service" : "device", a->adv->name, a->ver);
		break;
	}
}

static void
usn_of(const struct ssdp_fmt *f, const struct ssdp_answer *a, const char *nt,
    char *buf, size_t len)
{
	if (a->kind == SSDP_ANS_UUID)
		snprintf(buf, len, "uuid:%s", f->uuid[a->dev]);
	else
		snprintf(buf, len, "uuid:%s::%s", f->uuid[a->dev], nt);
}

int
ssdp_format(char *buf, size_t len, enum ssdp_msg m, const struct ssdp_fmt *f,
    const struct ssdp_answer *a)
{
	const char *group = f->ipv6 ? "[FF02::C]:1900" : "239.255.255.250:1900";
	char nt[160], usn[220], date[64];
	struct tm tm;
	int n;

	nt_of(f, a, nt, sizeof(nt));
	usn_of(f, a, nt, usn, sizeof(usn));
	switch (m) {
	case SSDP_REPLY:
		gmtime_r(&f->now, &tm);
		strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
		n = snprintf(buf, len,
		    "HTTP/1.1 200 OK\r\n"
		    "CACHE-CONTROL: max-age=%u\r\n"
		    "DATE: %s\r\n"
		    "EXT:\r\n"
		    "LOCATION: http://%s:%u%s\r\n"
		    "SERVER: %s\r\n"
		    "ST: %s\r\n"
		    "USN: %s\r\n"
		    "BOOTID.UPNP.ORG: %u\r\n"
		    "CONFIGID.UPNP.ORG: %u\r\n"
		    "\r\n",
		    UPNP_MAX_AGE, date, f->host, f->port, a->tree->location, f->server, nt, usn,
		    f->bootid, f->configid);
		break;
	case SSDP_ALIVE:
		n = snprintf(buf, len,
		    "NOTIFY * HTTP/1.1\r\n"
		    "HOST: %s\r\n"
		    "CACHE-CONTROL: max-age=%u\r\n"
		    "LOCATION: http://%s:%u%s\r\n"
		    "NT: %s\r\n"
		    "NTS: ssdp:alive\r\n"
		    "SERVER: %s\r\n"
		    "USN: %s\r\n"
		    "BOOTID.UPNP.ORG: %u\r\n"
		    "CONFIGID.UPNP.ORG: %u\r\n"
		    "\r\n",
		    group, UPNP_MAX_AGE, f->host, f->port, a->tree->location, nt, f->server, usn,
		    f->bootid, f->configid);
		break;
	case SSDP_BYEBYE:
	default:
		n = snprintf(buf, len,
		    "NOTIFY * HTTP/1.1\r\n"
		    "HOST: %s\r\n"
		    "NT: %s\r\n"
		    "NTS: ssdp:byebye\r\n"
		    "USN: %s\r\n"
		    "BOOTID.UPNP.ORG: %u\r\n"
		    "CONFIGID.UPNP.ORG: %u\r\n"
		    "\r\n",
		    group, nt, usn, f->bootid, f->configid);
		break;
	}
	return n < 0 || (size_t)n >= len ? -1 : n;
}
