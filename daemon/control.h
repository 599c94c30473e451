/*
 * control: the admin's UNIX socket (root only), spoken by portholectl.
 * One request line per connection; reply lines end with "OK" or "ERR why".
 *
 *   list                    one tab-separated line per mapping:
 *                           proto ext_port int_addr int_port owner left remote packets bytes desc
 *   add PROTO EXT INTADDR INTPORT [LIFETIME [DESC...]]   static mapping (LIFETIME 0 = permanent)
 *   del PROTO EXT
 *   flush [OWNER]
 *   status                  key=value lines: external address, mapping counts
 */
#ifndef PORTHOLE_CONTROL_H
#define PORTHOLE_CONTROL_H

#include <stddef.h>

int	control_init(const char *path);
void	control_fini(void);

/* Executes one request line and appends the reply (for tests and fuzzing). */
struct sbuf;
void	control_execute(const char *line, struct sbuf *out);

#endif
