/*
 * mountinfo.c - reading /proc/self/mountinfo (see mountinfo.h)
 *
 * A line: ID PARENT MAJ:MIN ROOT POINT OPTIONS [TAGS...] - TYPE SOURCE
 * SUPER_OPTIONS, spaces, tabs, newlines and backslashes escaped as \ooo.
 */
#include "mountinfo.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Decodes the octal escapes of s in place. */
static void unescape(char *s)
{
	char *d = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' &&
		    s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*d++ = (char) ((s[1] - '0') << 6 | (s[2] - '0') << 3 |
				       (s[3] - '0'));
			s += 4;
		} else {
			*d++ = *s++;
		}
	}
	*d = '\0';
}

/* The n-th (from 0) space-separated field of s, NUL-terminated in place. */
static char *field(char *s, int n)
{
	char *end;

	for (; n > 0 && s; n--) {
		s = strchr(s, ' ');
		if (s)
			s++;
	}
	if (!s)
		return NULL;
	end = strchr(s, ' ');
	if (end)
		*end = '\0';
	return s;
}

int mountinfo_each(int (*fn)(const char *point, const char *type,
			     const char *source, void *ctx),
		   void *ctx)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL, *sep, *point, *type, *source;
	size_t cap = 0;
	int rc = 0;

	if (!f)
		return -errno;
	while (rc == 0 && getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\n")] = '\0';
		sep = strstr(line, " - ");
		if (!sep)
			continue;
		*sep = '\0';
		point = field(line, 4);
		type = sep + 3;
		source = strchr(type, ' ');
		if (!point || !source)
			continue;
		*source++ = '\0';
		source = field(source, 0);
		unescape(point);
		unescape(source);
		rc = fn(point, type, source, ctx);
	}
	free(line);
	fclose(f);
	return rc;
}

/*
 * Cuts line into its space-separated fields, in place: up to max of them
 * in f.  Returns how many.  Escaped fields are decoded only after this
 * (unescape() shortens them).
 */
static int fields(char *line, char **f, int max)
{
	int n = 0;

	while (*line && n < max) {
		f[n++] = line;
		line = strchr(line, ' ');
		if (!line)
			break;
		*line++ = '\0';
	}
	return n;
}

int mountinfo_get(const char *point, struct mountinfo *mi)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL, *fld[64];
	size_t cap = 0;
	int rc = -ENOENT, n, sep;

	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\n")] = '\0';
		n = fields(line, fld, 64);
		/* ID PARENT MAJ:MIN ROOT POINT OPTIONS [TAGS...] - TYPE
		 * SOURCE SUPER_OPTIONS */
		for (sep = 6; sep < n && strcmp(fld[sep], "-"); sep++)
			;
		if (sep + 2 >= n) /* no TYPE and SOURCE */
			continue;
		unescape(fld[4]);
		if (strcmp(fld[4], point) != 0)
			continue;
		snprintf(mi->dev, sizeof(mi->dev), "%s", fld[2]);
		snprintf(mi->opts, sizeof(mi->opts), "%s", fld[5]);
		snprintf(mi->type, sizeof(mi->type), "%s", fld[sep + 1]);
		unescape(fld[sep + 2]);
		snprintf(mi->source, sizeof(mi->source), "%s", fld[sep + 2]);
		snprintf(mi->super, sizeof(mi->super), "%s",
			 sep + 3 < n ? fld[sep + 3] : "");
		rc = 0; /* the newest is the last */
	}
	free(line);
	fclose(f);
	return rc;
}

int mountinfo_has(const char *opts, const char *opt)
{
	size_t n = strlen(opt);

	while (*opts) {
		if (!strncmp(opts, opt, n) && (opts[n] == ',' || !opts[n]))
			return 1;
		opts = strchr(opts, ',');
		if (!opts)
			break;
		opts++;
	}
	return 0;
}
