/*
 * utf8: text from the LAN made safe to keep and show. Descriptions end up
 * in XML (GetListOfPortMappings), JSON (/status.json), logs and the lease
 * file, each of which breaks on a cut or invalid character.
 */
#ifndef PORTHOLE_UTF8_H
#define PORTHOLE_UTF8_H

#include <stddef.h>

/*
 * Copy src into dst (size bytes, NUL included), never cutting a character:
 * when the whole does not fit, the copy ends at the last complete character
 * that does. Control characters, invalid or overlong sequences, surrogates
 * and the non-characters U+FFFE/U+FFFF become '?', one per byte. Returns the
 * length written.
 */
size_t	utf8_clean_copy(char *dst, size_t size, const char *src);

#endif
