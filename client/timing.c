/*
 * timing: the clock rules the keeper and the protocols share, kept free of
 * I/O so they are unit-tested directly: when to renew, how long to back
 * off, and whether a PCP/NAT-PMP epoch says the gateway lost its state.
 */

#include "phc.h"

#define RETRY_MIN_MS	2000
#define RETRY_MAX_MS	300000
/* A renewal must not fall due sooner than this after the grant. */
#define RENEW_MIN_MS	1000

/*
 * Renew at half the lifetime (RFC 6887 §11.2.1 suggests 1/2, then
 * retransmits). A permanent mapping (0) is never renewed: the periodic
 * gateway check catches its loss.
 */
int64_t
phc_renew_due(int64_t obtained_ms, uint32_t lifetime)
{
	int64_t half;

	if (lifetime == 0)
		return INT64_MAX;
	half = (int64_t)lifetime * 500;
	if (half < RENEW_MIN_MS)
		half = RENEW_MIN_MS;
	return obtained_ms + half;
}

/* 2 s, 4 s, 8 s ... capped at 5 minutes. */
int64_t
phc_retry_delay(unsigned failures)
{
	int64_t d = RETRY_MIN_MS;

	while (failures-- > 1 && d < RETRY_MAX_MS)
		d *= 2;
	return d > RETRY_MAX_MS ? RETRY_MAX_MS : d;
}

/*
 * RFC 6887 §8.5 (the same rule as RFC 6886 §3.6): the server lost state if
 * its epoch went back by more than one second, or if the two clocks
 * advanced by amounts that differ by more than 2 s plus 1/16 of the span.
 */
bool
phc_epoch_lost(uint32_t prev_epoch, int64_t prev_ms, uint32_t epoch, int64_t now_ms)
{
	int64_t client_delta, server_delta;

	if ((int64_t)epoch + 1 < (int64_t)prev_epoch)
		return true;
	client_delta = (now_ms - prev_ms) / 1000;
	server_delta = (int64_t)epoch - (int64_t)prev_epoch;
	if (client_delta + 2 < server_delta - server_delta / 16)
		return true;
	if (server_delta + 2 < client_delta - client_delta / 16)
		return true;
	return false;
}

/* The §8.5 test against what was heard before, then the epoch remembered. */
static bool
epoch_track(uint32_t *prev, int64_t *prev_ms, bool *valid, uint32_t epoch)
{
	int64_t now = mono_ms();
	bool lost = *valid && phc_epoch_lost(*prev, *prev_ms, epoch, now);

	*prev = epoch;
	*prev_ms = now;
	*valid = true;
	return lost;
}

/*
 * IPv4 and IPv6 epochs are tracked apart: a gateway may answer NAT-PMP on
 * one and PCP on the other, with clocks that need not agree.
 */
bool
phc_epoch_update(struct porthole *ph, uint32_t epoch)
{
	bool lost = epoch_track(&ph->epoch, &ph->epoch_ms, &ph->epoch_valid, epoch);

	if (lost)
		ph->epoch_lost = true;
	return lost;
}

bool
phc_epoch6_update(struct porthole *ph, uint32_t epoch)
{
	bool lost = epoch_track(&ph->epoch6, &ph->epoch6_ms, &ph->epoch6_valid, epoch);

	if (lost)
		ph->epoch_lost = true;
	return lost;
}
