/*
 * log: one line per event. Foreground (-d) writes to stderr, otherwise syslog.
 * log_warn appends strerror(errno); fatal/fatalx log and exit(1).
 */
#ifndef PORTHOLE_LOG_H
#define PORTHOLE_LOG_H

#include <stdbool.h>

void log_init(const char *ident, bool foreground, bool verbose);
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Rate-limited drop log for hostile input: at most a few lines per second
 * in total, so a flood cannot fill the disk.
 */
void log_drop(const char *proto, const char *peer, const char *reason);

#endif
