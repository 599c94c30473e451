/*
 * soap: SOAP 1.1 envelopes without sockets. soap_parse turns a request body
 * into an action name, its service namespace and its arguments; the
 * builders write responses and UPnPError faults. libxml2 parses with
 * network access off and entities left unexpanded, and any document type
 * declaration is refused before parsing, so entity bombs and external
 * entities never reach the parser's expansion code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "upnp.h"

#define SOAP_ENV_NS	"http://schemas.xmlsoap.org/soap/envelope/"

/* --- parse ---------------------------------------------------------------- */

static void
quiet(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

void
soap_init(void)
{
	xmlInitParser();
	/* Hostile bodies must not fill the log through libxml2's own reports. */
	xmlSetGenericErrorFunc(NULL, quiet);
}

static bool
is_elem(const xmlNode *n, const char *name, const char *ns)
{
	return n && n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0 &&
	    (!ns || (n->ns && n->ns->href && strcmp((const char *)n->ns->href, ns) == 0));
}

static const xmlNode *
first_elem(const xmlNode *n)
{
	for (; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE)
			return n;
	return NULL;
}

/* Copy an element's text; false when it has child elements or is too long. */
static bool
copy_text(const xmlNode *e, char *out, size_t outlen)
{
	size_t len = 0;

	out[0] = '\0';
	for (const xmlNode *c = e->children; c; c = c->next) {
		if (c->type == XML_ELEMENT_NODE || c->type == XML_ENTITY_REF_NODE)
			return false;
		if (c->type != XML_TEXT_NODE && c->type != XML_CDATA_SECTION_NODE)
			continue;
		size_t l = c->content ? strlen((const char *)c->content) : 0;
		if (len + l >= outlen)
			return false;
		memcpy(out + len, c->content, l);
		len += l;
		out[len] = '\0';
	}
	return true;
}

static int
parse_action(const xmlNode *act, struct soap_req *out)
{
	size_t nl = strlen((const char *)act->name);

	if (nl >= sizeof(out->action))
		return UPNP_INVALID_ACTION;
	memcpy(out->action, act->name, nl + 1);
	if (act->ns && act->ns->href) {
		size_t sl = strlen((const char *)act->ns->href);
		if (sl >= sizeof(out->service))
			return UPNP_INVALID_ACTION;
		memcpy(out->service, act->ns->href, sl + 1);
	}
	for (const xmlNode *a = first_elem(act->children); a; a = first_elem(a->next)) {
		struct soap_arg *arg;
		size_t al = strlen((const char *)a->name);
		if (out->nargs == SOAP_MAX_ARGS || al >= SOAP_NAME_MAX)
			return UPNP_INVALID_ARGS;
		arg = &out->args[out->nargs];
		memcpy(arg->name, a->name, al + 1);
		if (!copy_text(a, arg->value, sizeof(arg->value)))
			return UPNP_INVALID_ARGS;
		out->nargs++;
	}
	return 0;
}

int
soap_parse(const char *body, size_t len, struct soap_req *out)
{
	const xmlNode *root, *n;
	xmlDoc *doc;
	int rc = UPNP_INVALID_ACTION;

	memset(out, 0, sizeof(*out));
	if (!body || len == 0 || len > UPNP_BODY_MAX)
		return UPNP_INVALID_ACTION;
	/* No DTDs at all: SOAP forbids them and they carry every entity attack. */
	if (memmem(body, len, "<!DOCTYPE", 9) || memmem(body, len, "<!ENTITY", 8))
		return UPNP_INVALID_ARGS;
	doc = xmlReadMemory(body, (int)len, NULL, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
	if (!doc)
		return UPNP_INVALID_ACTION;
	if (doc->intSubset || doc->extSubset) {
		rc = UPNP_INVALID_ARGS;
		goto out;
	}
	root = xmlDocGetRootElement(doc);
	if (!is_elem(root, "Envelope", SOAP_ENV_NS))
		goto out;
	for (n = first_elem(root->children); n && !is_elem(n, "Body", SOAP_ENV_NS);
	    n = first_elem(n->next))
		;
	if (!n || !(n = first_elem(n->children)))
		goto out;
	rc = parse_action(n, out);
out:
	xmlFreeDoc(doc);
	return rc;
}

const char *
soap_arg(const struct soap_req *rq, const char *name)
{
	for (size_t i = 0; i < rq->nargs; i++)
		if (strcmp(rq->args[i].name, name) == 0)
			return rq->args[i].value;
	return NULL;
}

/* --- build ---------------------------------------------------------------- */

static const struct { int code; const char *str; } errors[] = {
#define UPNP_ERROR_TEXT(name, code, text)	{ name, text },
	UPNP_ERRORS(UPNP_ERROR_TEXT)
#undef UPNP_ERROR_TEXT
};

const char *
soap_error_str(int code)
{
	for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++)
		if (errors[i].code == code)
			return errors[i].str;
	return "Action Failed";
}

#define ENV_OPEN "<?xml version=\"1.0\"?>\r\n"					\
	"<s:Envelope xmlns:s=\"" SOAP_ENV_NS "\" "				\
	"s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body>"
#define ENV_CLOSE "</s:Body></s:Envelope>\r\n"

void
soap_begin(struct sbuf *b, const char *action, const char *svc_type)
{
	sbuf_printf(b, ENV_OPEN "<u:%sResponse xmlns:u=\"%s\">", action, svc_type);
}

void
soap_add(struct sbuf *b, const char *name, const char *value)
{
	sbuf_printf(b, "<%s>", name);
	sbuf_xml(b, value);
	sbuf_printf(b, "</%s>", name);
}

void
soap_addu(struct sbuf *b, const char *name, unsigned long value)
{
	sbuf_printf(b, "<%s>%lu</%s>", name, value, name);
}

void
soap_end(struct sbuf *b, const char *action)
{
	sbuf_printf(b, "</u:%sResponse>" ENV_CLOSE, action);
}

void
soap_fault(struct sbuf *b, int code)
{
	sbuf_printf(b, ENV_OPEN "<s:Fault><faultcode>s:Client</faultcode>"
	    "<faultstring>UPnPError</faultstring><detail>"
	    "<UPnPError xmlns=\"urn:schemas-upnp-org:control-1-0\">"
	    "<errorCode>%d</errorCode><errorDescription>%s</errorDescription>"
	    "</UPnPError></detail></s:Fault>" ENV_CLOSE, code, soap_error_str(code));
}
