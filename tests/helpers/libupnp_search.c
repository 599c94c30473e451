/*
 * libupnp_search: the gateway as a libupnp (pupnp) control point finds it.
 *
 *   libupnp_search IFNAME MX TARGET...
 *
 * Starts libupnp on IFNAME (UpnpInit2), registers a control point and calls
 * UpnpSearchAsync(MX, TARGET) for every TARGET at once, then waits until
 * each target is found or libupnp's own search timeout for it came. libupnp starts its MX timer before it sends
 * its IPv6 searches and sends the IPv4 one last, so an answer that comes
 * late within MX is one this client never sees: the test of how fast a
 * gateway answers that matters to real clients.
 *
 * Prints per target "found TARGET ms N location URL" (N: time from the search
 * call to the first result) or "not found TARGET", and exits 0 only when
 * every target was found; 2 when libupnp itself could not start. Each step
 * before the verdict is noted on stderr ("step NAME ms N"), so a run that
 * never reaches its verdict (killed by the caller's timeout) shows where
 * libupnp stopped.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <upnp.h>
#include <upnptools.h>
/* After libupnp's headers: its list.h ends with #undef bool. */
#include <stdbool.h>

#define MAX_TARGETS 8

struct target {
	const char	*st;
	bool		 found;
	bool		 done;		/* libupnp's timeout for this search came */
	long		 ms;
	char		 location[256];
};

static struct target	targets[MAX_TARGETS];
static int		n_targets;
static long		start_ms;	/* the first search call */
static long		began_ms;	/* the program's start */
static pthread_mutex_t	lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	changed = PTHREAD_COND_INITIALIZER;

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* libupnp's threads call this; the cookie is the search's target. */
static int
on_event(Upnp_EventType type, const void *event, void *cookie)
{
	struct target *t = cookie;

	pthread_mutex_lock(&lock);
	if (type == UPNP_DISCOVERY_SEARCH_RESULT) {
		const UpnpDiscovery *d = event;
		const char *dt = UpnpDiscovery_get_DeviceType_cstr(d);
		if (UpnpDiscovery_get_ErrCode(d) == UPNP_E_SUCCESS && dt &&
		    strcmp(dt, t->st) == 0 && !t->found) {
			t->found = true;
			t->ms = now_ms() - start_ms;
			snprintf(t->location, sizeof(t->location), "%s",
			    UpnpDiscovery_get_Location_cstr(d));
			pthread_cond_broadcast(&changed);
		}
	} else if (type == UPNP_DISCOVERY_SEARCH_TIMEOUT) {
		t->done = true;
		pthread_cond_broadcast(&changed);
	}
	pthread_mutex_unlock(&lock);
	return 0;
}

/* step NAME: note on stderr that NAME was reached, and when. */
static void
step(const char *name)
{
	fprintf(stderr, "step %s ms %ld\n", name, now_ms() - began_ms);
}

/*
 * libupnp 1.8 times a search out on whole seconds of the wall clock
 * (time(NULL) + MX), so a search started late in a second gets barely
 * MX - 1 seconds. Starting just after a whole second gives it the MX it
 * asked for, as on a real LAN where a search's start is no accident.
 */
static void
wait_for_whole_second(void)
{
	struct timespec now, pause;

	clock_gettime(CLOCK_REALTIME, &now);
	pause.tv_sec = 0;
	pause.tv_nsec = 1000000000L - now.tv_nsec + 10000000L;
	if (pause.tv_nsec >= 1000000000L)
		pause.tv_nsec -= 1000000000L;
	nanosleep(&pause, NULL);
}

static bool
all_settled(void)
{
	for (int i = 0; i < n_targets; i++)
		if (!targets[i].found && !targets[i].done)
			return false;
	return true;
}

int
main(int argc, char **argv)
{
	UpnpClient_Handle h;
	struct timespec until;
	int rc, mx, missing = 0;

	if (argc < 4 || argc - 3 > MAX_TARGETS || (mx = atoi(argv[2])) < 1) {
		fprintf(stderr, "usage: libupnp_search IFNAME MX TARGET...\n");
		return 2;
	}
	began_ms = now_ms();
	step("start");
	if ((rc = UpnpInit2(argv[1], 0)) != UPNP_E_SUCCESS) {
		fprintf(stderr, "libupnp_search: UpnpInit2(%s): %s\n", argv[1], UpnpGetErrorMessage(rc));
		return 2;
	}
	step("initialised");
	if ((rc = UpnpRegisterClient(on_event, NULL, &h)) != UPNP_E_SUCCESS) {
		fprintf(stderr, "libupnp_search: UpnpRegisterClient: %s\n", UpnpGetErrorMessage(rc));
		UpnpFinish();
		return 2;
	}
	step("registered");
	wait_for_whole_second();
	n_targets = argc - 3;
	start_ms = now_ms();
	for (int i = 0; i < n_targets; i++) {
		targets[i].st = argv[3 + i];
		if ((rc = UpnpSearchAsync(h, mx, targets[i].st, &targets[i])) != UPNP_E_SUCCESS) {
			fprintf(stderr, "libupnp_search: UpnpSearchAsync(%s): %s\n", targets[i].st,
			    UpnpGetErrorMessage(rc));
			targets[i].done = true;
		}
	}
	step("searches sent");
	/* libupnp times each search out after MX; allow it a few seconds more. */
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += mx + 5;
	pthread_mutex_lock(&lock);
	while (!all_settled() && pthread_cond_timedwait(&changed, &lock, &until) == 0)
		;
	for (int i = 0; i < n_targets; i++) {
		const struct target *t = &targets[i];
		if (t->found)
			printf("found %s ms %ld location %s\n", t->st, t->ms, t->location);
		else
			printf("not found %s%s\n", t->st, t->done ? "" : " (libupnp never timed out)");
		missing += !t->found;
	}
	pthread_mutex_unlock(&lock);
	/* libupnp's shutdown waits for its own timers (seconds) and tells the
	 * verdict nothing; the kernel closes its sockets. */
	fflush(stdout);
	_exit(missing ? 1 : 0);
}
