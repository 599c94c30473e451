/* libFuzzer harness: one reply line of the control protocol as portholectl
 * reads it (ctl_proto.c): the version line, a record split into pairs, and
 * a mapping or a pinhole parsed by name; what parses must format again and fit. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[CTL_LINE_MAX], again[CTL_LINE_MAX * 2];
	struct ctl_record r;
	struct ctl_mapping m;
	struct ctl_pinhole p;

	if (size >= sizeof(line) || memchr(data, '\0', size))
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	(void)ctl_hello_version(line);
	if (ctl_record_split(line, &r) < 0)
		return 0;
	if (ctl_mapping_parse(&r, &m) == 0 && ctl_mapping_format(&m, again, sizeof(again)) < 0)
		abort();	/* anything read must be writable again */
	if (ctl_pinhole_parse(&r, &p) == 0 && ctl_pinhole_format(&p, again, sizeof(again)) < 0)
		abort();
	return 0;
}
