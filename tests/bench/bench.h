/*
 * bench: what the load generators in tests/bench/ share. Each generator is
 * one small program; run.sh builds them and parses the single key=value line
 * each prints, so the figures come from the programs and not from the shell.
 */
#ifndef PORTHOLE_BENCH_H
#define PORTHOLE_BENCH_H

#include <natpmp.h>
#include <netinet/in.h>
#include <stdint.h>

/* One timed run of COUNT operations, capped at max_s seconds. */
struct bench_run {
	unsigned	 ops;		/* operations that succeeded */
	unsigned	 fails;
	double		 start_s, end_s;
	double		 max_s;
};

double	 bench_now(void);		/* CLOCK_MONOTONIC, seconds */
double	 bench_wall(void);		/* CLOCK_REALTIME, seconds */
void	 bench_begin(struct bench_run *r, double max_s);
/* False once the time cap is reached (the caller stops early). */
int	 bench_in_time(const struct bench_run *r);
/* Prints "ops=N fail=F secs=S rate=R capped=0|1" plus extra, and exits. */
void	 bench_report(struct bench_run *r, unsigned asked, const char *extra);

unsigned long bench_num(const char *s, unsigned long max, const char *what);
struct in_addr bench_addr(const char *s);
uint8_t	 bench_proto(const char *s);	/* "tcp" / "udp" -> IPPROTO_* */
/*
 * One NAT-PMP mapping request through libnatpmp, answered or given up after
 * BENCH_NATPMP_TRIES waits of BENCH_NATPMP_WAIT_MS. libnatpmp would resend
 * after 250 ms; against a gateway that takes longer than that per request,
 * the copies queue up behind each other and the client measures its own
 * retransmissions. 0 with *mapped set, or a libnatpmp error (< 0).
 */
#define BENCH_NATPMP_WAIT_MS	5000
#define BENCH_NATPMP_TRIES	3
int	 bench_natpmp_map(natpmp_t *h, int proto, uint16_t port, uint32_t lifetime,
	    uint16_t *mapped);

/* Moves this thread into network namespace NAME (ip netns); exits on error. */
void	 bench_netns(const char *name);

#endif
