/*
 * control: the admin's UNIX socket (root only), spoken by portholectl.
 * One request line per connection; the requests and the reply's lines are
 * defined in ctl_proto.h, shared with portholectl. add takes an INTADDR
 * inside a LAN prefix and answers "OK added ..."; del answers "OK removed ...".
 */
#ifndef PORTHOLE_CONTROL_H
#define PORTHOLE_CONTROL_H

#include <stddef.h>

struct gateway;
struct sbuf;

/* gw: the LAN prefixes a static mapping must point into. */
int	control_init(const char *path, const struct gateway *gw);
void	control_fini(void);

/* Executes one request line and appends the reply (for tests and fuzzing). */
void	control_execute(const struct gateway *gw, const char *line, struct sbuf *out);

#endif
