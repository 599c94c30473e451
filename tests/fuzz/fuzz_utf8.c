/*
 * libFuzzer harness: utf8_clean_copy. Whatever goes in, what comes out fits
 * the buffer, is NUL-terminated, and is valid UTF-8 without control
 * characters (checked here by a decoder of its own, not the function's),
 * and an input that was already clean and fits comes out unchanged.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Length of the clean character at s, or 0. */
static size_t
decode(const unsigned char *s, size_t left)
{
	uint32_t c;
	size_t n = s[0] < 0x80 ? 1 : (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3 :
	    (s[0] & 0xf8) == 0xf0 ? 4 : 0;

	if (n == 0 || n > left)
		return 0;
	c = n == 1 ? s[0] : s[0] & (0x7f >> n);
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	static const uint32_t least[] = { 0, 0, 0x80, 0x800, 0x10000 };
	if (c < least[n] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff) || c == 0xfffe ||
	    c == 0xffff || c < 0x20 || c == 0x7f)
		return 0;
	return n;
}

static int
clean(const unsigned char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		size_t n = decode(s + i, len - i);
		if (!n)
			return 0;
		i += n;
	}
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char in[256], out[64];
	size_t len;

	if (size >= sizeof(in) || memchr(data, 0, size))
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	len = utf8_clean_copy(out, sizeof(out), in);
	if (len >= sizeof(out) || strlen(out) != len || !clean((unsigned char *)out, len))
		abort();
	if (clean(data, size) && size < sizeof(out) && (len != size || memcmp(out, in, size)))
		abort();
	return 0;
}
