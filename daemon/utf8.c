/*
 * utf8: see utf8.h. A character is taken whole or not at all.
 */
#include "utf8.h"

#include <stdint.h>

/* Length of the valid character at s (1-4), or 0 when s starts no valid character
 * that XML 1.0 allows (a control character, a bad or overlong sequence, ...). */
static size_t
char_len(const unsigned char *s)
{
	uint32_t c;
	size_t n;

	if (s[0] < 0x80)
		return s[0] >= 0x20 && s[0] != 0x7f ? 1 : 0;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, c = s[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)	/* also stops at the terminating NUL */
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff) || c == 0xfffe || c == 0xffff)
		return 0;
	return n;
}

size_t
utf8_clean_copy(char *dst, size_t size, const char *src)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t out = 0;

	if (size == 0)
		return 0;
	while (*s) {
		size_t n = char_len(s);
		if (n == 0) {
			if (out + 1 >= size)
				break;
			dst[out++] = '?';
			s++;
			continue;
		}
		if (out + n >= size)
			break;
		for (size_t i = 0; i < n; i++)
			dst[out++] = (char)s[i];
		s += n;
	}
	dst[out] = '\0';
	return out;
}
