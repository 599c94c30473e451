/*
 * sbuf: a growing string (see sbuf.c).
 */
#ifndef PORTHOLE_SBUF_H
#define PORTHOLE_SBUF_H

#include <stdbool.h>
#include <stddef.h>

struct sbuf {
	char	*s;
	size_t	 len, cap;
	bool	 oom;
};

void	 sbuf_init(struct sbuf *b);
void	 sbuf_free(struct sbuf *b);
/* Empty again, keeping the memory (and forgetting a failed allocation). */
void	 sbuf_clear(struct sbuf *b);
void	 sbuf_addn(struct sbuf *b, const char *s, size_t n);
void	 sbuf_add(struct sbuf *b, const char *s);
void	 sbuf_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Escaped for XML and HTML text and attribute values. */
void	 sbuf_xml(struct sbuf *b, const char *s);
/* Hand over the string (caller frees); NULL when allocation failed. */
char	*sbuf_take(struct sbuf *b, size_t *len);

#endif
