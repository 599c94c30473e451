/*
 * clock.h: the one monotonic clock of the daemon and the client library,
 * in milliseconds. Monotonic so that a wall-clock step never fires or
 * delays a timer, a retransmission or an epoch check.
 *
 *   clock.c
 */
#ifndef PORTHOLE_CLOCK_H
#define PORTHOLE_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC in milliseconds. */
int64_t	mono_ms(void);

#endif
