/*
 * clockskew.so: LD_PRELOADed into portholed by the tests that need half an
 * hour to pass (a GENA subscription's shortest life is 1800 s). The
 * monotonic clocks run ahead by the whole seconds written in the file named
 * by $PORTHOLE_CLOCK_SKEW, read at every call; the test only ever raises
 * it, so the clock never goes back. The daemon's loop notices a jump when
 * it next wakes (the test sends it a request).
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int clock_gettime(clockid_t id, struct timespec *ts);

static long
skew_seconds(void)
{
	const char *path = getenv("PORTHOLE_CLOCK_SKEW");
	char buf[24];
	ssize_t n;
	int fd;

	if (!path || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

int
clock_gettime(clockid_t id, struct timespec *ts)
{
	static int (*real)(clockid_t, struct timespec *);
	int rc;

	if (!real)
		real = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
	rc = real(id, ts);
	if (rc == 0 && (id == CLOCK_MONOTONIC || id == CLOCK_MONOTONIC_RAW ||
	    id == CLOCK_MONOTONIC_COARSE || id == CLOCK_BOOTTIME))
		ts->tv_sec += skew_seconds();
	return rc;
}
