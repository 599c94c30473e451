/*
 * describe: the device and service descriptions. The templates in xml/ are
 * linked into the binary (.incbin, paths relative to the source root where
 * make runs), so the daemon needs no data files at run time. At start the
 * UDNs are filled in, CONFIGID.UPNP.ORG is derived from the result (it must
 * change exactly when a description changes), and each document is kept
 * rendered for the life of the daemon.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "upnp.h"

#define XML_BLOB(sym, file)					\
	__asm__(".section .rodata\n"				\
		".global " #sym "\n"				\
		".hidden " #sym "\n"				\
		#sym ":\n"					\
		".incbin \"" file "\"\n"			\
		".byte 0\n"					\
		".previous\n");					\
	extern const char sym[]

XML_BLOB(upnp_xml_igd2, "xml/igd2.xml");
XML_BLOB(upnp_xml_igd1, "xml/igd1.xml");
XML_BLOB(upnp_xml_ipc2, "xml/WANIPConnection2.xml");
XML_BLOB(upnp_xml_ipc1, "xml/WANIPConnection1.xml");
XML_BLOB(upnp_xml_cic1, "xml/WANCommonInterfaceConfig1.xml");
XML_BLOB(upnp_xml_l3f1, "xml/Layer3Forwarding1.xml");
XML_BLOB(upnp_xml_v6fc1, "xml/WANIPv6FirewallControl1.xml");

struct doc {
	const char	*path;
	const char	*tmpl;
	int		 tree;		/* the IGD version it belongs to; 0 = both */
	char		*text;
	size_t		 len;
};

static struct doc docs[] = {
	{ "/igd2.xml", upnp_xml_igd2, 2, NULL, 0 },
	{ "/igd1.xml", upnp_xml_igd1, 1, NULL, 0 },
	{ "/scpd/WANIPConnection2.xml", upnp_xml_ipc2, 2, NULL, 0 },
	{ "/scpd/WANIPConnection1.xml", upnp_xml_ipc1, 1, NULL, 0 },
	{ "/scpd/WANCommonInterfaceConfig1.xml", upnp_xml_cic1, 0, NULL, 0 },
	{ "/scpd/Layer3Forwarding1.xml", upnp_xml_l3f1, 1, NULL, 0 },
	{ "/scpd/WANIPv6FirewallControl1.xml", upnp_xml_v6fc1, 2, NULL, 0 },
};
#define NDOCS (sizeof(docs) / sizeof(docs[0]))

static uint32_t configid;

/* Replace each @KEY@ of the template; unknown keys are kept as they are. */
static char *
render(const char *tmpl, const char *const keys[][2], size_t nkeys, size_t *len)
{
	struct sbuf b;
	const char *p = tmpl;

	sbuf_init(&b);
	while (*p) {
		const char *at = strchr(p, '@');
		size_t k;
		if (!at) {
			sbuf_add(&b, p);
			break;
		}
		sbuf_printf(&b, "%.*s", (int)(at - p), p);
		for (k = 0; k < nkeys; k++) {
			size_t kl = strlen(keys[k][0]);
			if (strncmp(at, keys[k][0], kl) == 0) {
				sbuf_add(&b, keys[k][1]);
				p = at + kl;
				break;
			}
		}
		if (k == nkeys) {
			sbuf_add(&b, "@");
			p = at + 1;
		}
	}
	return sbuf_take(&b, len);
}

static uint32_t
fnv1a(uint32_t h, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

int
describe_init(void)
{
	const char *const uuids[][2] = {
		{ "@UUID_ROOT@", upnp_st.uuid[UPNP_DEV_ROOT] },
		{ "@UUID_WAN@", upnp_st.uuid[UPNP_DEV_WAN] },
		{ "@UUID_CONN@", upnp_st.uuid[UPNP_DEV_CONN] },
	};
	uint32_t h = 2166136261u;
	char idstr[16];

	/* The ID is a hash of what the client would read, minus the ID itself. */
	for (size_t i = 0; i < NDOCS; i++) {
		size_t len;
		char *t = render(docs[i].tmpl, uuids, 3, &len);
		if (!t)
			return -ENOMEM;
		h = fnv1a(h, t, len);
		free(t);
	}
	/* UDA 1.1: 0 to 16777215. */
	configid = h & 0xffffff;
	snprintf(idstr, sizeof(idstr), "%u", configid);
	const char *const keys[][2] = {
		{ "@UUID_ROOT@", upnp_st.uuid[UPNP_DEV_ROOT] },
		{ "@UUID_WAN@", upnp_st.uuid[UPNP_DEV_WAN] },
		{ "@UUID_CONN@", upnp_st.uuid[UPNP_DEV_CONN] },
		{ "@CONFIGID@", idstr },
	};
	for (size_t i = 0; i < NDOCS; i++) {
		docs[i].text = render(docs[i].tmpl, keys, 4, &docs[i].len);
		if (!docs[i].text) {
			describe_fini();
			return -ENOMEM;
		}
	}
	return 0;
}

void
describe_fini(void)
{
	for (size_t i = 0; i < NDOCS; i++) {
		free(docs[i].text);
		docs[i].text = NULL;
	}
}

uint32_t
describe_configid(void)
{
	return configid;
}

const char *
describe_doc(const char *path, size_t *len)
{
	for (size_t i = 0; i < NDOCS; i++) {
		if (strcmp(path, docs[i].path) != 0 || !docs[i].text)
			continue;
		/* In IGD:1 mode there is no IGD:2 tree to describe. */
		if (docs[i].tree == 2 && upnp_st.primary == 1)
			return NULL;
		*len = docs[i].len;
		return docs[i].text;
	}
	return NULL;
}
