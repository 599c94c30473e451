/*
 * control: the admin's UNIX socket (root only), spoken by portholectl.
 * One request line per connection; reply lines end with "OK" or "ERR why".
 *
 *   list                    one tab-separated line per mapping:
 *                           proto ext_port int_addr int_port owner left remote packets bytes desc
 *   add PROTO EXT INTADDR INTPORT [LIFETIME [DESC...]]   static mapping (LIFETIME 0 = permanent),
 *                           INTADDR inside a LAN prefix; "OK added ..." says what was made
 *   del PROTO EXT           "OK removed ..." says what was removed
 *   flush [OWNER]
 *   status                  key=value lines: external address, mapping counts
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
