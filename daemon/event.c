/*
 * event: poll(2) over a small fd table, timers on a binary min-heap.
 */
#include "event.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

struct fd_handler {
	ev_fd_cb	 cb;
	void		*arg;
};

static struct pollfd	 *pfds;
static struct fd_handler *handlers;
static size_t		  nfds, fd_cap;

static struct ev_timer	**heap;		/* heap[0] unused: 1-based */
static size_t		  heap_len, heap_cap;

static volatile int	  quitting;
static long		(*idle_max_sleep)(void);
static void		(*idle_after_poll)(void);

int
ev_init(void)
{
	quitting = 0;
	return 0;
}

void
ev_fini(void)
{
	free(pfds);
	free(handlers);
	free(heap);
	pfds = NULL;
	handlers = NULL;
	heap = NULL;
	nfds = fd_cap = heap_len = heap_cap = 0;
}

int
ev_fd_add(int fd, short events, ev_fd_cb cb, void *arg)
{
	size_t i;

	for (i = 0; i < nfds; i++)
		if (pfds[i].fd == fd)
			break;
	if (i == nfds) {
		if (nfds == fd_cap) {
			size_t ncap = fd_cap ? fd_cap * 2 : 16;
			struct pollfd *np = realloc(pfds, ncap * sizeof(*np));
			if (!np)
				return -ENOMEM;
			pfds = np;
			struct fd_handler *nh = realloc(handlers, ncap * sizeof(*nh));
			if (!nh)
				return -ENOMEM;
			handlers = nh;
			fd_cap = ncap;
		}
		nfds++;
	}
	pfds[i] = (struct pollfd){ .fd = fd, .events = events };
	handlers[i] = (struct fd_handler){ .cb = cb, .arg = arg };
	return 0;
}

void
ev_fd_del(int fd)
{
	for (size_t i = 0; i < nfds; i++) {
		if (pfds[i].fd != fd)
			continue;
		/* Mark dead rather than compact: ev_run may be iterating. */
		pfds[i].fd = -1;
		handlers[i].cb = NULL;
		return;
	}
}

static void
fd_compact(void)
{
	size_t j = 0;

	for (size_t i = 0; i < nfds; i++) {
		if (pfds[i].fd < 0)
			continue;
		pfds[j] = pfds[i];
		handlers[j] = handlers[i];
		j++;
	}
	nfds = j;
}

/* --- timers: binary min-heap on when_ms ---------------------------------- */

static void
heap_place(size_t i, struct ev_timer *t)
{
	heap[i] = t;
	t->heap_idx = i;
}

static void
heap_up(size_t i)
{
	struct ev_timer *t = heap[i];

	while (i > 1 && heap[i / 2]->when_ms > t->when_ms) {
		heap_place(i, heap[i / 2]);
		i /= 2;
	}
	heap_place(i, t);
}

static void
heap_down(size_t i)
{
	struct ev_timer *t = heap[i];

	for (;;) {
		size_t c = i * 2;
		if (c > heap_len)
			break;
		if (c < heap_len && heap[c + 1]->when_ms < heap[c]->when_ms)
			c++;
		if (heap[c]->when_ms >= t->when_ms)
			break;
		heap_place(i, heap[c]);
		i = c;
	}
	heap_place(i, t);
}

void
ev_timer_init(struct ev_timer *t, ev_timer_cb cb)
{
	t->when_ms = 0;
	t->heap_idx = 0;
	t->cb = cb;
}

int
ev_timer_armed(const struct ev_timer *t)
{
	return t->heap_idx != 0;
}

void
ev_timer_cancel(struct ev_timer *t)
{
	size_t i = t->heap_idx;

	if (!i)
		return;
	t->heap_idx = 0;
	struct ev_timer *last = heap[heap_len--];
	if (i > heap_len)
		return;
	heap_place(i, last);
	heap_up(i);
	heap_down(last->heap_idx);
}

void
ev_timer_at(struct ev_timer *t, uint64_t when_ms)
{
	if (t->heap_idx) {
		uint64_t old = t->when_ms;
		t->when_ms = when_ms;
		if (when_ms < old)
			heap_up(t->heap_idx);
		else
			heap_down(t->heap_idx);
		return;
	}
	if (heap_len + 1 >= heap_cap) {
		size_t ncap = heap_cap ? heap_cap * 2 : 64;
		struct ev_timer **nh = realloc(heap, ncap * sizeof(*nh));
		if (!nh)
			abort();	/* cannot keep a promise to expire */
		heap = nh;
		heap_cap = ncap;
	}
	t->when_ms = when_ms;
	heap_len++;
	heap_place(heap_len, t);
	heap_up(heap_len);
}

void
ev_timer_in(struct ev_timer *t, uint64_t delay_ms)
{
	ev_timer_at(t, mono_ms() + delay_ms);
}

static void
run_due_timers(void)
{
	uint64_t now = mono_ms();

	while (heap_len && heap[1]->when_ms <= now) {
		struct ev_timer *t = heap[1];
		ev_timer_cancel(t);
		t->cb(t);
	}
}

void
ev_set_idle_hook(long (*max_sleep_ms)(void), void (*after_poll)(void))
{
	idle_max_sleep = max_sleep_ms;
	idle_after_poll = after_poll;
}

void
ev_quit(void)
{
	quitting = 1;
}

int
ev_run(void)
{
	quitting = 0;	/* a quit ends one run, not every later one */
	while (!quitting) {
		long timeout = -1;

		run_due_timers();
		if (quitting)
			break;
		if (heap_len) {
			uint64_t now = mono_ms();
			timeout = heap[1]->when_ms > now ? (long)(heap[1]->when_ms - now) : 0;
		}
		if (idle_max_sleep) {
			long lim = idle_max_sleep();
			if (lim >= 0 && (timeout < 0 || lim < timeout))
				timeout = lim;
		}
		fd_compact();
		int n = poll(pfds, nfds, timeout > 60000 ? 60000 : (int)timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		size_t count = nfds;	/* handlers added now wait for the next round */
		for (size_t i = 0; i < count && n > 0; i++) {
			if (pfds[i].fd < 0 || !pfds[i].revents)
				continue;
			n--;
			if (handlers[i].cb)
				handlers[i].cb(pfds[i].fd, pfds[i].revents, handlers[i].arg);
		}
		if (idle_after_poll)
			idle_after_poll();
	}
	return 0;
}
