/*
 * sdnotify: tell systemd (Type=notify) that the daemon is ready or stopping.
 * A no-op when not started by systemd.
 */
#ifndef PORTHOLE_SDNOTIFY_H
#define PORTHOLE_SDNOTIFY_H

void	sdnotify(const char *state);

#endif
