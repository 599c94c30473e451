/*
 * event: the daemon's single event loop. File handlers (fd, events, callback)
 * and one-shot timers on a binary heap keyed by monotonic milliseconds.
 * Timers are embedded in their owner's struct, so arming, re-arming and
 * cancelling never allocate and cost O(log n).
 */
#ifndef PORTHOLE_EVENT_H
#define PORTHOLE_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "clock.h"	/* mono_ms(): the clock timers run on */

struct ev_timer;
typedef void (*ev_timer_cb)(struct ev_timer *t);
typedef void (*ev_fd_cb)(int fd, short revents, void *arg);

struct ev_timer {
	uint64_t	when_ms;	/* monotonic deadline */
	size_t		heap_idx;	/* 0 = not armed; else 1-based position */
	ev_timer_cb	cb;
};

int	 ev_init(void);
void	 ev_fini(void);

/* Watch fd for events (POLLIN/POLLOUT); a second call for the same fd replaces it. */
int	 ev_fd_add(int fd, short events, ev_fd_cb cb, void *arg);
void	 ev_fd_del(int fd);

void	 ev_timer_init(struct ev_timer *t, ev_timer_cb cb);
void	 ev_timer_at(struct ev_timer *t, uint64_t when_ms);	/* (re)arm */
void	 ev_timer_in(struct ev_timer *t, uint64_t delay_ms);
void	 ev_timer_cancel(struct ev_timer *t);
int	 ev_timer_armed(const struct ev_timer *t);

/*
 * Extra wake-up hook: consulted before each poll for the longest sleep
 * allowed (e.g. libmicrohttpd's own timeout); -1 = no limit.
 */
void	 ev_set_idle_hook(long (*max_sleep_ms)(void), void (*after_poll)(void));

/* Run until ev_quit(); returns 0, or -errno when poll fails. */
int	 ev_run(void);
void	 ev_quit(void);

#endif
