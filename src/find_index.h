/*
 * find_index.h - sqlitefs-find --add-index, --drop-index, --list-indexes
 */
#ifndef FIND_INDEX_H
#define FIND_INDEX_H

/*
 * Adds (add) or drops (drop) the search index SPEC ("name", "size",
 * "mtime" or "xattr:NAME"), or lists them (both NULL), of the database
 * file or mount target.  extra: more arguments followed, which is a usage
 * error.  Returns the exit status, after printing a one-line error.
 */
int find_index_main(const char *target, const char *add, const char *drop,
		    int extra);

#endif
