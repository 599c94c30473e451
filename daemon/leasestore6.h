/*
 * leasestore6: pinholes as lines of the lease file (format in leasestore6.c).
 * Pure functions, so unit tests and the fuzzer call them with any text.
 */
#ifndef PORTHOLE_LEASESTORE6_H
#define PORTHOLE_LEASESTORE6_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pinhole;
struct pinhole_req;

#define LEASESTORE6_TAG		"pin6"
#define LEASESTORE6_LINE_MAX	320

/* The pinhole's line, without newline; its length (>= len: cut). */
int	leasestore6_format(const struct pinhole *p, long long now_wall, char *buf, size_t len);
/* "- pin6 proto addr port": the journal line for a removed pinhole. */
int	leasestore6_format_removal(const struct pinhole *p, char *buf, size_t len);
/* Is this snapshot or journal line about a pinhole ("pin6 ...", "+ pin6", "- pin6")? */
bool	leasestore6_is_pinhole(const char *line);
/*
 * A snapshot line (no "+ ") into a request whose desc and nonce point into
 * the caller's buffers. 0, -EINVAL, -ETIME (expired) or -ERANGE (expiry
 * further ahead than any lease may be).
 */
int	leasestore6_parse(const char *line, long long now_wall, struct pinhole_req *req,
	    char *desc, size_t desclen, uint8_t *nonce);
/* A journal removal into req's key (proto, int_addr, int_port). 0 or -EINVAL. */
int	leasestore6_parse_removal(const char *line, struct pinhole_req *req);

#endif
