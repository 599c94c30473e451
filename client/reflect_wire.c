/*
 * reflect_wire: the reflector's JSON messages, both directions, for both
 * ends. The reflector (`porthole reflect`) parses requests and formats
 * replies; libporthole formats requests and parses replies. Each side
 * treats what it receives as hostile: sizes are bounded before json-c sees
 * a byte, nesting is limited, unknown fields are refused, and every string
 * that may reach a terminal is cut to its first line of printable ASCII.
 *
 *   request  {"ports": [25, 587]}                 (1..16 distinct ports)
 *   reply    {"address": "198.51.100.1",
 *             "ports": [{"port": 25, "result": "open", "ms": 3,
 *                        "greeting": "220 mx ESMTP"}, ...]}
 *   error    {"error": "one sentence"}           (with an HTTP 4xx status)
 *
 * "result" is open, refused, timeout or not_allowed (the reflector does not
 * test that port; it made no connection).
 */
#include <arpa/inet.h>
#include <string.h>

#include <json-c/json.h>

#include "phc.h"

/* Requests and replies are flat: an object, an array, objects in it. */
#define WIRE_DEPTH	4

size_t
phc_sanitize_line(char *dst, size_t dstlen, const char *src, size_t srclen)
{
	size_t i, n = 0;

	if (dstlen == 0)
		return 0;
	for (i = 0; i < srclen && src[i] != '\r' && src[i] != '\n' && n + 1 < dstlen; i++) {
		unsigned char ch = (unsigned char)src[i];

		dst[n++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	dst[n] = '\0';
	return n;
}

/* Parses exactly len bytes as one JSON object (no trailing bytes), or NULL. */
static json_object *
parse_object(const char *text, size_t len, size_t max)
{
	json_tokener *tok;
	json_object *o;

	if (len == 0 || len > max)
		return NULL;
	if ((tok = json_tokener_new_ex(WIRE_DEPTH)) == NULL)
		return NULL;
	o = json_tokener_parse_ex(tok, text, (int)len);
	if (o != NULL && (json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len ||
	    !json_object_is_type(o, json_type_object))) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

static int
wire_fail(char *err, size_t errlen, const char *msg)
{
	snprintf(err, errlen, "%s", msg);
	return -1;
}

/* A port number: a JSON integer 1..65535. */
static bool
get_port(json_object *v, uint16_t *port)
{
	int64_t p;

	if (!json_object_is_type(v, json_type_int))
		return false;
	p = json_object_get_int64(v);
	if (p < 1 || p > 65535)
		return false;
	*port = (uint16_t)p;
	return true;
}

static int
request_ports(json_object *arr, uint16_t *ports, size_t *n, char *err, size_t errlen)
{
	size_t i, j, len;

	if (!json_object_is_type(arr, json_type_array))
		return wire_fail(err, errlen, "\"ports\" must be an array of port numbers");
	len = json_object_array_length(arr);
	if (len == 0)
		return wire_fail(err, errlen, "\"ports\" is empty: name 1 to 16 ports");
	if (len > PHC_REFLECT_PORTS_MAX)
		return wire_fail(err, errlen, "more than 16 ports in one request: split it");
	for (i = 0; i < len; i++) {
		if (!get_port(json_object_array_get_idx(arr, i), &ports[i]))
			return wire_fail(err, errlen, "a port is not a number from 1 to 65535");
		for (j = 0; j < i; j++)
			if (ports[j] == ports[i])
				return wire_fail(err, errlen, "a port is named twice");
	}
	*n = len;
	return 0;
}

int
phc_reflect_request_parse(const char *body, size_t len, uint16_t *ports, size_t *n,
    char *err, size_t errlen)
{
	json_object *o;
	bool have_ports = false;
	int rc = 0;

	if (len > PHC_REFLECT_REQUEST_MAX)
		return wire_fail(err, errlen, "request body too long");
	if ((o = parse_object(body, len, PHC_REFLECT_REQUEST_MAX)) == NULL)
		return wire_fail(err, errlen, "the body is not a JSON object like "
		    "{\"ports\": [25, 587]}");
	json_object_object_foreach(o, key, val) {
		if (strcmp(key, "ports") != 0) {
			/* Above all "address" or "host": we test only the sender. */
			snprintf(err, errlen, "unknown field \"%.32s\": the reflector takes only "
			    "\"ports\" and tests only the address the request comes from", key);
			rc = -1;
			break;
		}
		if ((rc = request_ports(val, ports, n, err, errlen)) != 0)
			break;
		have_ports = true;
	}
	if (rc == 0 && !have_ports)
		rc = wire_fail(err, errlen, "no \"ports\" field: send {\"ports\": [25, 587]}");
	json_object_put(o);
	return rc;
}

int
phc_reflect_request_format(char *buf, size_t len, const uint16_t *ports, size_t n)
{
	size_t i, used;
	int w;

	if (n == 0 || n > PHC_REFLECT_PORTS_MAX)
		return -1;
	used = (size_t)snprintf(buf, len, "{\"ports\": [");
	for (i = 0; i < n && used < len; i++) {
		w = snprintf(buf + used, len - used, "%s%u", i ? ", " : "", ports[i]);
		used += (size_t)w;
	}
	if (used < len)
		used += (size_t)snprintf(buf + used, len - used, "]}");
	return used < len ? (int)used : -1;
}

static const char *const result_names[] = { "open", "refused", "timeout" };

static json_object *
result_object(const struct phc_reflect_result *r)
{
	json_object *p = json_object_new_object();

	if (p == NULL)
		return NULL;
	json_object_object_add(p, "port", json_object_new_int(r->port));
	json_object_object_add(p, "result", json_object_new_string(!r->allowed ?
	    "not_allowed" : result_names[r->result]));
	if (r->allowed)
		json_object_object_add(p, "ms", json_object_new_int(r->ms));
	if (r->greeting[0] != '\0')
		json_object_object_add(p, "greeting", json_object_new_string(r->greeting));
	return p;
}

char *
phc_reflect_reply_format(const char *address, const struct phc_reflect_result *res, size_t n)
{
	json_object *o = json_object_new_object(), *arr = json_object_new_array();
	char *out = NULL;
	size_t i;

	if (o == NULL || arr == NULL) {
		json_object_put(o);
		json_object_put(arr);
		return NULL;
	}
	json_object_object_add(o, "address", json_object_new_string(address));
	json_object_object_add(o, "ports", arr);
	for (i = 0; i < n; i++)
		json_object_array_add(arr, result_object(&res[i]));
	out = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return out;
}

char *
phc_reflect_error_format(const char *msg)
{
	json_object *o = json_object_new_object();
	char *out;

	if (o == NULL)
		return NULL;
	json_object_object_add(o, "error", json_object_new_string(msg));
	out = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return out;
}

static bool
string_field(json_object *o, const char *key, char *dst, size_t dstlen)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return false;
	phc_sanitize_line(dst, dstlen, json_object_get_string(v),
	    (size_t)json_object_get_string_len(v));
	return true;
}

static bool
reply_result(json_object *p, struct phc_reflect_result *r)
{
	char name[16];
	json_object *v;
	size_t i;

	memset(r, 0, sizeof(*r));
	r->ms = -1;
	if (!json_object_is_type(p, json_type_object) ||
	    !json_object_object_get_ex(p, "port", &v) || !get_port(v, &r->port) ||
	    !string_field(p, "result", name, sizeof(name)))
		return false;
	string_field(p, "greeting", r->greeting, sizeof(r->greeting));
	if (json_object_object_get_ex(p, "ms", &v) && json_object_is_type(v, json_type_int)) {
		int64_t ms = json_object_get_int64(v);

		r->ms = ms >= 0 && ms < 3600000 ? (int)ms : -1;
	}
	if (strcmp(name, "not_allowed") == 0) {
		r->result = PORTHOLE_REACH_UNTESTED;
		return true;
	}
	for (i = 0; i < sizeof(result_names) / sizeof(result_names[0]); i++)
		if (strcmp(name, result_names[i]) == 0) {
			r->allowed = true;
			r->result = (enum porthole_reach)i;
			return true;
		}
	return false;
}

int
phc_reflect_reply_parse(const char *body, size_t len, int family, void *seen,
    struct phc_reflect_result *res, size_t *n)
{
	char addr[INET6_ADDRSTRLEN];
	json_object *o, *arr;
	size_t i, count;
	int rc = -1;

	if ((o = parse_object(body, len, PHC_REFLECT_REPLY_MAX)) == NULL)
		return -1;
	if (!string_field(o, "address", addr, sizeof(addr)) ||
	    inet_pton(family, addr, seen) != 1 ||
	    !json_object_object_get_ex(o, "ports", &arr) ||
	    !json_object_is_type(arr, json_type_array))
		goto out;
	count = json_object_array_length(arr);
	if (count > *n || count > PHC_REFLECT_PORTS_MAX)
		goto out;
	for (i = 0; i < count; i++)
		if (!reply_result(json_object_array_get_idx(arr, i), &res[i]))
			goto out;
	*n = count;
	rc = 0;
out:
	json_object_put(o);
	return rc;
}

int
phc_reflect_error_parse(const char *body, size_t len, char *msg, size_t msglen)
{
	json_object *o = parse_object(body, len, PHC_REFLECT_REPLY_MAX);
	int rc = o != NULL && string_field(o, "error", msg, msglen) ? 0 : -1;

	json_object_put(o);
	return rc;
}
