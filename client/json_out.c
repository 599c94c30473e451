/*
 * json_out: a string as JSON, for the report's writers (report.c,
 * report_dns.c); a file of its own so that neither calls the other.
 */
#include <stdio.h>

#include "phc.h"

void
phc_json_str(FILE *out, const char *s)
{
	if (s == NULL || s[0] == '\0') {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(out, "\\u%04x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}
