/*
 * reflect_client: asks a reflector (`porthole reflect`, outside the
 * network) to connect back to us, over HTTP(S) with libcurl. The request
 * goes out over IPv4, so the address the reflector answers with is the one
 * our IPv4 mappings live on; or over IPv6 from our stable address, the one
 * the pinholes are for (the reflector connects back only to the sender,
 * and the kernel would rather send from a privacy address). The reply is read into a bounded buffer and
 * parsed by reflect_wire; the reflector is another party on the network,
 * so nothing it says is trusted further than that parser lets it.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "phc.h"

/* The reflector waits about 5 s at most (connect, then greeting). */
#define REFLECT_CONNECT_MS	5000
#define REFLECT_TOTAL_MS	20000

PORTHOLE_API int
porthole_set_reflector(struct porthole *ph, const char *url, const char *token)
{
	char *u = NULL, *t = NULL;

	if (ph == NULL || (url != NULL && strncmp(url, "http://", 7) != 0 &&
	    strncmp(url, "https://", 8) != 0))
		return PORTHOLE_ERR_INVAL;
	if ((url != NULL && (u = strdup(url)) == NULL) ||
	    (token != NULL && (t = strdup(token)) == NULL)) {
		free(u);
		return PORTHOLE_ERR_SYSTEM;
	}
	free(ph->reflector);
	free(ph->reflector_token);
	ph->reflector = u;
	ph->reflector_token = t;
	return 0;
}

struct body {
	char	buf[PHC_REFLECT_REPLY_MAX];
	size_t	len;
};

static size_t
collect(char *data, size_t size, size_t nmemb, void *arg)
{
	struct body *b = arg;
	size_t n = size * nmemb;

	if (n > sizeof(b->buf) - b->len)
		return 0;	/* too long: curl stops with CURLE_WRITE_ERROR */
	memcpy(b->buf + b->len, data, n);
	b->len += n;
	return n;
}

static CURL *
request(struct porthole *ph, int family, const char *json, struct curl_slist **hdr,
    struct body *b)
{
	char auth[300], a[INET6_ADDRSTRLEN], from[INET6_ADDRSTRLEN + 8];
	CURL *c;

	if ((c = curl_easy_init()) == NULL)
		return NULL;
	*hdr = curl_slist_append(NULL, "Content-Type: application/json");
	if (ph->reflector_token != NULL) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", ph->reflector_token);
		*hdr = curl_slist_append(*hdr, auth);
	}
	curl_easy_setopt(c, CURLOPT_URL, ph->reflector);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (family == AF_INET6) {
		inet_ntop(AF_INET6, &ph->local6, a, sizeof(a));
		snprintf(from, sizeof(from), "host!%s", a);
		curl_easy_setopt(c, CURLOPT_IPRESOLVE, (long)CURL_IPRESOLVE_V6);
		curl_easy_setopt(c, CURLOPT_INTERFACE, from);
	} else {
		curl_easy_setopt(c, CURLOPT_IPRESOLVE, (long)CURL_IPRESOLVE_V4);
	}
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)REFLECT_CONNECT_MS);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)REFLECT_TOTAL_MS);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, *hdr);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "porthole");
	return c;
}

/* An HTTP error status: the reflector's own sentence when it sent one. */
static int
refused(struct porthole *ph, long status, const struct body *b)
{
	char msg[200];

	if (phc_reflect_error_parse(b->buf, b->len, msg, sizeof(msg)) != 0)
		snprintf(msg, sizeof(msg), "no explanation");
	return phc_fail(ph, PORTHOLE_ERR_REFLECTOR, "reflector %s refused the test (HTTP %ld): "
	    "%s", ph->reflector, status, msg);
}

int
phc_reflect_query(struct porthole *ph, int family, const uint16_t *ports, size_t n, void *seen,
    struct phc_reflect_result *res, size_t *nres)
{
	struct curl_slist *hdr = NULL;
	struct body *b;
	char json[256];
	long status = 0;
	CURLcode cc;
	CURL *c;
	int rc;

	if (ph->reflector == NULL || phc_reflect_request_format(json, sizeof(json), ports, n) < 0)
		return PORTHOLE_ERR_INVAL;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return PORTHOLE_ERR_SYSTEM;
	if ((c = request(ph, family, json, &hdr, b)) == NULL) {
		free(b);
		return phc_fail(ph, PORTHOLE_ERR_SYSTEM, "libcurl could not start a request");
	}
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (cc != CURLE_OK)
		rc = phc_fail(ph, PORTHOLE_ERR_REFLECTOR, "reflector %s%s: %s: is it running, and "
		    "is the URL right%s?", ph->reflector, family == AF_INET6 ? " over IPv6" : "",
		    curl_easy_strerror(cc), family == AF_INET6 ? " (a name with an AAAA record, "
		    "or an IPv6 address)" : "");
	else if (status != 200)
		rc = refused(ph, status, b);
	else if (phc_reflect_reply_parse(b->buf, b->len, family, seen, res, nres) != 0)
		rc = phc_fail(ph, PORTHOLE_ERR_REFLECTOR, "reflector %s sent a reply that is not "
		    "a reflector's: is the URL right?", ph->reflector);
	else
		rc = 0;
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	free(b);
	return rc;
}
