/*
 * find.c - the expressions of sqlitefs-find (see find.h)
 *
 * An expression is a binary tree of struct find_expr, built by a
 * recursive descent parser with find(1)'s precedence: ! over -a (also
 * implicit) over -o.  Every node is also on the query's list "all", which
 * find_free() walks, so a parse that fails half way frees what it made.
 *
 * Meanings follow GNU find 4.9:
 *  - -size N[bcwkMG]: the size in units, rounded up, compared with N;
 *  - -mtime N: N days of 86400 s counted from the start minus one day,
 *    so -mtime 0 is "within the last 24 h", -mtime +0 "older", -mtime -N
 *    "less than N days and one second ago"; -mmin N: (N-1, N] minutes;
 *  - -perm MODE exact, -MODE all bits of MODE, /MODE any (none for 0);
 *    symbolic modes apply to 0 with no umask, as chmod would;
 *  - -newer FILE: modified strictly after FILE.
 * Each numeric test is stored as an inclusive range of the field, which
 * is also what an index is asked for (find_hints()).
 */
#include "find.h"

#include <errno.h>
#include <fnmatch.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define NS_PER_SEC 1000000000LL
#define DAY_NS (86400 * NS_PER_SEC)
#define MIN_NS (60 * NS_PER_SEC)

enum fx_op {
	FX_AND,
	FX_OR,
	FX_NOT,
	FX_TRUE,
	FX_FALSE,
	FX_NAME,
	FX_INAME,
	FX_PATH,
	FX_IPATH,
	FX_TYPE,
	FX_RANGE, /* field in [lo, hi] */
	FX_NEWER, /* until find_resolve_newer() makes it an FX_RANGE */
	FX_PERM,
	FX_EMPTY,
	FX_XATTR,
	FX_PRINT,
	FX_PRINT0,
};

/* The numbers an FX_RANGE compares. */
enum fx_field {
	FF_SIZE,
	FF_MTIME,
	FF_LINKS,
	FF_INUM,
	FF_UID,
	FF_GID,
};

struct find_expr {
	enum fx_op op;
	struct find_expr *l; /* operands of -a, -o (l only for !) */
	struct find_expr *r;
	const char *str;     /* pattern, xattr name, -newer file */
	char *value;	     /* -xattr value (NULL: has it), owned */
	size_t vlen;	     /* its length */
	enum fx_field field; /* FX_RANGE */
	int64_t lo;	     /* FX_RANGE: inclusive bounds */
	int64_t hi;
	unsigned bits;	       /* -type: a mask of 1 << type; -perm: mode */
	char kind;	       /* -perm: '=', '-' or '/' */
	struct find_expr *all; /* the next node made by this parse */
};

/* The parser's state. */
struct parser {
	int argc;
	char **argv;
	int pos;
	int64_t now;
	struct find_query *q;
	char *err;
	size_t errsz;
};

static void perr(struct parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Writes the parse error (the first one wins). */
static void perr(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	if (p->err[0])
		return;
	va_start(ap, fmt);
	vsnprintf(p->err, p->errsz, fmt, ap);
	va_end(ap);
}

static struct find_expr *node(struct parser *p, enum fx_op op)
{
	struct find_expr *e = calloc(1, sizeof(*e));

	if (!e) {
		perr(p, "out of memory");
		return NULL;
	}
	e->op = op;
	e->all = p->q->expr;
	p->q->expr = e; /* the list head until parsing ends */
	return e;
}

static struct find_expr *binary(struct parser *p, enum fx_op op,
				struct find_expr *l, struct find_expr *r)
{
	struct find_expr *e = node(p, op);

	if (e) {
		e->l = l;
		e->r = r;
	}
	return e;
}

static const char *peek(struct parser *p)
{
	return p->pos < p->argc ? p->argv[p->pos] : NULL;
}

static int is(const char *tok, const char *a, const char *b)
{
	return tok && (!strcmp(tok, a) || (b && !strcmp(tok, b)));
}

/* --- numbers ------------------------------------------------------------ */

static int64_t sat_add(int64_t a, int64_t b)
{
	int64_t r;

	if (__builtin_add_overflow(a, b, &r))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return r;
}

static int64_t sat_mul(int64_t a, int64_t b)
{
	int64_t r;

	if (__builtin_mul_overflow(a, b, &r))
		return (a < 0) != (b < 0) ? INT64_MIN : INT64_MAX;
	return r;
}

/*
 * Parses "[+-]DIGITS" followed by what end may hold: the comparison
 * ('+', '-' or '=') in *cmp, the number in *n, the rest in *end.  -1 if
 * s is not one.
 */
static int parse_cmp_num(const char *s, char *cmp, int64_t *n, const char **end)
{
	int64_t v = 0;

	*cmp = (*s == '+' || *s == '-') ? *s++ : '=';
	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++)
		if (__builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, *s - '0', &v))
			return -1;
	*n = v;
	*end = s;
	return 0;
}

/* The range of an integer field compared as find compares -links N. */
static void plain_range(char cmp, int64_t n, int64_t *lo, int64_t *hi)
{
	*lo = cmp == '+' ? sat_add(n, 1) : cmp == '-' ? INT64_MIN : n;
	*hi = cmp == '-' ? n - 1 : cmp == '+' ? INT64_MAX : n;
}

/* -size N[unit]: sizes s with ceil(s / unit) compared with N. */
static void size_range(char cmp, int64_t n, int64_t unit, int64_t *lo,
		       int64_t *hi)
{
	switch (cmp) {
	case '+':
		*lo = sat_add(sat_mul(n, unit), 1);
		*hi = INT64_MAX;
		break;
	case '-':
		*lo = 0;
		*hi = n ? sat_mul(n - 1, unit) : -1;
		break;
	default:
		*lo = n ? sat_add(sat_mul(n - 1, unit), 1) : 0;
		*hi = sat_mul(n, unit);
	}
}

/* -mtime N (unit a day) and -mmin N (a minute), as GNU find. */
static void time_range(char cmp, int64_t n, int64_t unit, int64_t now,
		       int64_t *lo, int64_t *hi)
{
	int64_t origin = unit == DAY_NS ? now - DAY_NS : now;
	int64_t ref;

	if (cmp == '-' && unit == DAY_NS)
		origin += DAY_NS - NS_PER_SEC;
	ref = sat_add(origin, -sat_mul(n, unit));
	*lo = cmp == '+' ? INT64_MIN : cmp == '-' ? sat_add(ref, 1) : ref;
	*hi = cmp == '+'   ? ref
	      : cmp == '-' ? INT64_MAX
			   : sat_add(ref, unit - 1);
}

/* --- primaries ---------------------------------------------------------- */

/* The argument of the primary just read, or NULL with an error. */
static const char *arg(struct parser *p, const char *pred)
{
	if (p->pos >= p->argc) {
		perr(p, "missing argument to '%s'", pred);
		return NULL;
	}
	return p->argv[p->pos++];
}

static struct find_expr *range(struct parser *p, enum fx_field field,
			       int64_t lo, int64_t hi)
{
	struct find_expr *e = node(p, FX_RANGE);

	if (e) {
		e->field = field;
		e->lo = lo;
		e->hi = hi;
	}
	return e;
}

static struct find_expr *p_size(struct parser *p, const char *pred,
				const char *a)
{
	static const char units[] = "bcwkMG";
	static const int64_t unit_bytes[] = {512, 1, 2, 1024, 1 << 20, 1 << 30};
	const char *end, *u;
	int64_t n, lo, hi;
	char cmp;

	if (parse_cmp_num(a, &cmp, &n, &end) < 0 ||
	    (*end && (end[1] || !(u = strchr(units, *end))))) {
		perr(p, "invalid argument '%s' to '%s'", a, pred);
		return NULL;
	}
	size_range(cmp, n, *end ? unit_bytes[u - units] : 512, &lo, &hi);
	return range(p, FF_SIZE, lo, hi);
}

/* -mtime, -mmin, -links, -inum, -uid, -gid: "[+-]N". */
static struct find_expr *p_number(struct parser *p, const char *pred,
				  const char *a)
{
	const char *end;
	int64_t n, lo, hi;
	char cmp;

	if (parse_cmp_num(a, &cmp, &n, &end) < 0 || *end) {
		perr(p, "invalid argument '%s' to '%s'", a, pred);
		return NULL;
	}
	if (!strcmp(pred, "-mtime") || !strcmp(pred, "-mmin")) {
		time_range(cmp, n, pred[2] == 't' ? DAY_NS : MIN_NS, p->now,
			   &lo, &hi);
		return range(p, FF_MTIME, lo, hi);
	}
	plain_range(cmp, n, &lo, &hi);
	return range(p,
		     !strcmp(pred, "-links")  ? FF_LINKS
		     : !strcmp(pred, "-inum") ? FF_INUM
		     : !strcmp(pred, "-uid")  ? FF_UID
					      : FF_GID,
		     lo, hi);
}

/* -user NAME|UID, -group NAME|GID. */
static struct find_expr *p_owner(struct parser *p, const char *pred,
				 const char *a)
{
	int user = !strcmp(pred, "-user");
	struct passwd *pw = user ? getpwnam(a) : NULL;
	struct group *gr = user ? NULL : getgrnam(a);
	const char *end;
	int64_t id;
	char cmp;

	if (pw || gr) {
		id = pw ? (int64_t) pw->pw_uid : (int64_t) gr->gr_gid;
	} else if (parse_cmp_num(a, &cmp, &id, &end) < 0 || cmp != '=' ||
		   *end) {
		perr(p, "'%s' is not the name of a known %s", a,
		     user ? "user" : "group");
		return NULL;
	}
	return range(p, user ? FF_UID : FF_GID, id, id);
}

static struct find_expr *p_type(struct parser *p, const char *pred,
				const char *a)
{
	static const char letters[] = "bcdpfls";
	struct find_expr *e;
	unsigned bits = 0;
	const char *s;

	for (s = a; *s; s++) {
		const char *l = strchr(letters, *s);

		if (!l || (s[1] && s[1] != ',') || (s[1] == ',' && !s[2])) {
			perr(p, "unknown argument '%s' to '%s'", a, pred);
			return NULL;
		}
		bits |= 1u << (l - letters);
		if (s[1])
			s++;
	}
	if (!bits) {
		perr(p, "unknown argument '%s' to '%s'", a, pred);
		return NULL;
	}
	e = node(p, FX_TYPE);
	if (e)
		e->bits = bits;
	return e;
}

/* The permission bits a symbolic mode letter stands for. */
static unsigned perm_letter(char c, unsigned mode)
{
	switch (c) {
	case 'r':
		return 0444;
	case 'w':
		return 0222;
	case 'x':
		return 0111;
	case 'X':
		return mode & 0111 ? 0111 : 0;
	case 's':
		return 06000;
	case 't':
		return 01000;
	case 'u':
		return (mode >> 6 & 7) * 0111;
	case 'g':
		return (mode >> 3 & 7) * 0111;
	default: /* 'o' */
		return (mode & 7) * 0111;
	}
}

/* The bits "who" letters affect. */
static unsigned perm_who(char c)
{
	return c == 'u' ? 04700 : c == 'g' ? 02070 : c == 'o' ? 01007 : 07777;
}

/* Applies one clause "[ugoa]*([-+=][rwxXstugo]*)+" to *mode. */
static const char *perm_clause(const char *s, unsigned *mode)
{
	unsigned who = 0;

	for (; *s && strchr("ugoa", *s); s++)
		who |= perm_who(*s);
	if (!who)
		who = 07777;
	if (!*s || !strchr("+-=", *s))
		return NULL;
	while (*s && strchr("+-=", *s)) {
		char op = *s++;
		unsigned bits = 0;

		for (; *s && strchr("rwxXstugo", *s); s++)
			bits |= perm_letter(*s, *mode);
		bits &= who;
		if (op == '=')
			*mode = (*mode & ~who) | bits;
		else if (op == '+')
			*mode |= bits;
		else
			*mode &= ~bits;
	}
	return s;
}

/* An octal or symbolic mode into *mode; -1 if s is neither. */
static int parse_mode(const char *s, unsigned *mode)
{
	char *end;

	*mode = 0;
	if (*s >= '0' && *s <= '7') {
		unsigned long v = strtoul(s, &end, 8);

		if (*end || v > 07777)
			return -1;
		*mode = (unsigned) v;
		return 0;
	}
	for (;;) {
		s = perm_clause(s, mode);
		if (!s)
			return -1;
		if (!*s)
			return 0;
		if (*s++ != ',')
			return -1;
	}
}

static struct find_expr *p_perm(struct parser *p, const char *pred,
				const char *a)
{
	char kind = (*a == '-' || *a == '/') ? *a : '=';
	struct find_expr *e;
	unsigned mode;

	if (parse_mode(kind == '=' ? a : a + 1, &mode) < 0) {
		perr(p, "invalid mode '%s' to '%s'", a, pred);
		return NULL;
	}
	e = node(p, FX_PERM);
	if (e) {
		e->bits = mode;
		e->kind = kind;
	}
	return e;
}

/* -xattr NAME or NAME=VALUE (the first '=' splits). */
static struct find_expr *p_xattr(struct parser *p, const char *pred,
				 const char *a)
{
	const char *eq = strchr(a, '=');
	struct find_expr *e;

	if (eq == a || !*a) {
		perr(p, "invalid argument '%s' to '%s'", a, pred);
		return NULL;
	}
	e = node(p, FX_XATTR);
	if (!e)
		return NULL;
	e->str = eq ? strndup(a, (size_t) (eq - a)) : strdup(a);
	if (eq) {
		e->value = strdup(eq + 1);
		e->vlen = strlen(eq + 1);
	}
	if (!e->str || (eq && !e->value)) {
		perr(p, "out of memory");
		return NULL;
	}
	return e;
}

static struct find_expr *p_string(struct parser *p, const char *pred,
				  const char *a)
{
	static const char *const preds[] = {"-name", "-iname", "-path",
					    "-ipath", "-newer"};
	static const enum fx_op ops[] = {FX_NAME, FX_INAME, FX_PATH, FX_IPATH,
					 FX_NEWER};
	struct find_expr *e;
	size_t i;

	for (i = 0; strcmp(preds[i], pred); i++)
		;
	e = node(p, ops[i]);
	if (e)
		e->str = a;
	return e;
}

/* -maxdepth, -mindepth: options, true where they stand. */
static struct find_expr *p_depth(struct parser *p, const char *pred,
				 const char *a)
{
	char *end;
	long v = strtol(a, &end, 10);

	if (*a < '0' || *a > '9' || *end || v > 1000000) {
		perr(p, "invalid argument '%s' to '%s'", a, pred);
		return NULL;
	}
	if (pred[2] == 'a')
		p->q->maxdepth = (int) v;
	else
		p->q->mindepth = (int) v;
	return node(p, FX_TRUE);
}

/* Primaries that take an argument. */
static const struct {
	const char *name;
	struct find_expr *(*parse)(struct parser *p, const char *pred,
				   const char *a);
} with_arg[] = {
	{"-name", p_string},	{"-iname", p_string}, {"-path", p_string},
	{"-ipath", p_string},	{"-newer", p_string}, {"-type", p_type},
	{"-size", p_size},	{"-mtime", p_number}, {"-mmin", p_number},
	{"-links", p_number},	{"-inum", p_number},  {"-uid", p_number},
	{"-gid", p_number},	{"-user", p_owner},   {"-group", p_owner},
	{"-perm", p_perm},	{"-xattr", p_xattr},  {"-maxdepth", p_depth},
	{"-mindepth", p_depth},
};

/* Primaries without an argument. */
static const struct {
	const char *name;
	enum fx_op op;
} no_arg[] = {
	{"-true", FX_TRUE},   {"-false", FX_FALSE},   {"-empty", FX_EMPTY},
	{"-print", FX_PRINT}, {"-print0", FX_PRINT0},
};

static struct find_expr *primary(struct parser *p)
{
	const char *tok = p->argv[p->pos++];
	size_t i;

	for (i = 0; i < sizeof(no_arg) / sizeof(no_arg[0]); i++)
		if (!strcmp(tok, no_arg[i].name))
			return node(p, no_arg[i].op);
	for (i = 0; i < sizeof(with_arg) / sizeof(with_arg[0]); i++) {
		const char *a;

		if (strcmp(tok, with_arg[i].name))
			continue;
		a = arg(p, tok);
		return a ? with_arg[i].parse(p, tok, a) : NULL;
	}
	if (tok[0] == '-')
		perr(p, "unknown predicate '%s'", tok);
	else
		perr(p, "paths must precede expression: '%s'", tok);
	return NULL;
}

/* --- operators ---------------------------------------------------------- */

static struct find_expr *parse_or(struct parser *p);

static struct find_expr *parse_not(struct parser *p)
{
	const char *tok = peek(p);
	struct find_expr *e;

	if (!tok) {
		perr(p, "expected an expression at the end");
		return NULL;
	}
	if (is(tok, "!", "-not")) {
		p->pos++;
		e = parse_not(p);
		return e ? binary(p, FX_NOT, e, NULL) : NULL;
	}
	if (is(tok, ")", NULL) || is(tok, "-o", "-or") ||
	    is(tok, "-a", "-and")) {
		perr(p, "expected an expression before '%s'", tok);
		return NULL;
	}
	if (!is(tok, "(", NULL))
		return primary(p);
	p->pos++;
	if (is(peek(p), ")", NULL)) {
		perr(p, "empty parentheses are not allowed");
		return NULL;
	}
	e = parse_or(p);
	if (e && !is(peek(p), ")", NULL)) {
		perr(p, "missing ')'");
		return NULL;
	}
	p->pos++;
	return e;
}

static struct find_expr *parse_and(struct parser *p)
{
	struct find_expr *l = parse_not(p);

	while (l) {
		const char *tok = peek(p);

		if (!tok || is(tok, ")", NULL) || is(tok, "-o", "-or"))
			break;
		if (is(tok, "-a", "-and"))
			p->pos++;
		struct find_expr *r = parse_not(p);

		l = r ? binary(p, FX_AND, l, r) : NULL;
	}
	return l;
}

static struct find_expr *parse_or(struct parser *p)
{
	struct find_expr *l = parse_and(p);

	while (l && is(peek(p), "-o", "-or")) {
		p->pos++;
		struct find_expr *r = parse_and(p);

		l = r ? binary(p, FX_OR, l, r) : NULL;
	}
	return l;
}

static int has_action(const struct find_expr *e)
{
	if (!e)
		return 0;
	return e->op == FX_PRINT || e->op == FX_PRINT0 || has_action(e->l) ||
	       has_action(e->r);
}

int find_parse(int argc, char **argv, int64_t now_ns, struct find_query *q,
	       char *err, size_t errsz)
{
	struct parser p = {argc, argv, 0, now_ns, q, err, errsz};
	struct find_expr *e, *print;

	err[0] = '\0';
	q->expr = NULL;
	q->mindepth = 0;
	q->maxdepth = -1;
	e = argc ? parse_or(&p) : node(&p, FX_TRUE);
	if (e && p.pos < argc)
		perr(&p, "unexpected '%s'", argv[p.pos]);
	if (e && !err[0] && !has_action(e)) {
		print = node(&p, FX_PRINT);
		e = print ? binary(&p, FX_AND, e, print) : NULL;
	}
	q->all = q->expr;
	if (!e || err[0]) {
		find_free(q);
		return -EINVAL;
	}
	q->expr = e;
	q->print0 = 0;
	for (e = q->all; e; e = e->all)
		q->print0 |= e->op == FX_PRINT0;
	return 0;
}

void find_free(struct find_query *q)
{
	struct find_expr *e = q->all, *next;

	for (; e; e = next) {
		next = e->all;
		if (e->op == FX_XATTR)
			free((char *) e->str);
		free(e->value);
		free(e);
	}
	q->all = q->expr = NULL;
}

int find_resolve_newer(struct find_query *q,
		       int (*mtime_of)(void *ctx, const char *file,
				       int64_t *ns),
		       void *ctx, const char **failed)
{
	struct find_expr *e;

	for (e = q->all; e; e = e->all) {
		int64_t ns;
		int rc;

		if (e->op != FX_NEWER)
			continue;
		rc = mtime_of(ctx, e->str, &ns);
		if (rc < 0) {
			*failed = e->str;
			return rc;
		}
		e->op = FX_RANGE;
		e->field = FF_MTIME;
		e->lo = sat_add(ns, 1);
		e->hi = INT64_MAX;
	}
	return 0;
}

/* --- evaluation --------------------------------------------------------- */

static int64_t field_of(enum fx_field field, const struct find_file *f)
{
	switch (field) {
	case FF_SIZE:
		return f->size;
	case FF_MTIME:
		return f->mtime;
	case FF_LINKS:
		return f->nlink;
	case FF_INUM:
		return f->ino;
	case FF_UID:
		return f->uid;
	default:
		return f->gid;
	}
}

/* The -type letter index of a mode ("bcdpfls"), or -1. */
static int type_index(uint32_t mode)
{
	static const uint32_t types[] = {S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO,
					 S_IFREG, S_IFLNK, S_IFSOCK};
	int i;

	for (i = 0; i < 7; i++)
		if ((mode & S_IFMT) == types[i])
			return i;
	return -1;
}

static int eval_perm(const struct find_expr *e, uint32_t mode)
{
	unsigned m = mode & 07777;

	if (e->kind == '-')
		return (m & e->bits) == e->bits;
	if (e->kind == '/')
		return !e->bits || (m & e->bits);
	return m == e->bits;
}

static int eval_empty(const struct find_file *f, const struct find_env *env)
{
	if (S_ISREG(f->mode))
		return f->size == 0;
	if (S_ISDIR(f->mode))
		return env->dir_empty(env->ctx, f->ino);
	return 0;
}

static int eval(const struct find_expr *e, const struct find_file *f,
		const struct find_env *env);

static int eval_logic(const struct find_expr *e, const struct find_file *f,
		      const struct find_env *env)
{
	int rc = eval(e->l, f, env);

	if (rc < 0)
		return rc;
	switch (e->op) {
	case FX_AND:
		return rc ? eval(e->r, f, env) : 0;
	case FX_OR:
		return rc ? 1 : eval(e->r, f, env);
	default: /* FX_NOT */
		return !rc;
	}
}

static int eval(const struct find_expr *e, const struct find_file *f,
		const struct find_env *env)
{
	int t;

	switch (e->op) {
	case FX_AND:
	case FX_OR:
	case FX_NOT:
		return eval_logic(e, f, env);
	case FX_TRUE:
		return 1;
	case FX_NAME:
	case FX_INAME:
		return !fnmatch(e->str, f->name,
				e->op == FX_INAME ? FNM_CASEFOLD : 0);
	case FX_PATH:
	case FX_IPATH:
		return !fnmatch(e->str, f->path,
				e->op == FX_IPATH ? FNM_CASEFOLD : 0);
	case FX_TYPE:
		t = type_index(f->mode);
		return t >= 0 && (e->bits & (1u << t));
	case FX_RANGE: {
		int64_t v = field_of(e->field, f);

		return v >= e->lo && v <= e->hi;
	}
	case FX_PERM:
		return eval_perm(e, f->mode);
	case FX_EMPTY:
		return eval_empty(f, env);
	case FX_XATTR:
		return env->xattr(env->ctx, f->ino, e->str, e->value, e->vlen);
	case FX_PRINT:
	case FX_PRINT0:
		t = env->print(env->ctx, f, e->op == FX_PRINT ? '\n' : '\0');
		return t < 0 ? t : 1;
	default: /* FX_FALSE; FX_NEWER is resolved before */
		return 0;
	}
}

unsigned find_needs(const struct find_query *q)
{
	const struct find_expr *e;
	unsigned needs = 0;

	for (e = q->all; e; e = e->all)
		if (e->op == FX_RANGE && e->field == FF_SIZE)
			needs |= FIND_NEEDS_SIZE;
		else if (e->op == FX_TYPE || e->op == FX_PERM ||
			 e->op == FX_EMPTY || e->op == FX_NEWER ||
			 (e->op == FX_RANGE && e->field != FF_INUM))
			needs |= FIND_NEEDS_SIZE | FIND_NEEDS_MODE;
	return needs;
}

int find_eval(const struct find_query *q, const struct find_file *f,
	      const struct find_env *env)
{
	return eval(q->expr, f, env);
}

/* --- index hints -------------------------------------------------------- */

/* The hint a test gives, if any: 1 with *h filled, else 0. */
static int hint_of(const struct find_expr *e, struct find_hint *h)
{
	memset(h, 0, sizeof(*h));
	if (e->op == FX_NAME && !strpbrk(e->str, "*?[\\")) {
		h->kind = FH_NAME;
		h->name = e->str;
		return 1;
	}
	if (e->op == FX_XATTR) {
		h->kind = FH_XATTR;
		h->name = e->str;
		h->value = e->value;
		h->vlen = e->vlen;
		return 1;
	}
	if (e->op != FX_RANGE || e->field == FF_LINKS || e->field == FF_UID ||
	    e->field == FF_GID)
		return 0;
	h->kind = e->field == FF_SIZE	 ? FH_SIZE
		  : e->field == FF_MTIME ? FH_MTIME
					 : FH_INUM;
	h->lo = e->lo;
	h->hi = e->hi;
	return 1;
}

/*
 * Collects the hints of the conjunction e (left to right) into out;
 * returns 0 when an action was met (nothing after it counts), else 1.
 */
static int collect(const struct find_expr *e, struct find_hint *out, int max,
		   int *n)
{
	struct find_hint h;
	int i;

	if (e->op == FX_AND)
		return collect(e->l, out, max, n) && collect(e->r, out, max, n);
	if (has_action(e))
		return 0;
	if (!hint_of(e, &h))
		return 1;
	/* ranges of one field intersect: -size +1M -size -2M */
	for (i = 0; i < *n; i++) {
		if (out[i].kind != h.kind || h.kind == FH_NAME ||
		    h.kind == FH_XATTR)
			continue;
		out[i].lo = h.lo > out[i].lo ? h.lo : out[i].lo;
		out[i].hi = h.hi < out[i].hi ? h.hi : out[i].hi;
		return 1;
	}
	if (*n < max)
		out[(*n)++] = h;
	return 1;
}

int find_hints(const struct find_query *q, struct find_hint *out, int max)
{
	int n = 0;

	collect(q->expr, out, max, &n);
	return n;
}

/* --- a query's words as a JSON array (--queries) ------------------------ */

/* The value of n hex digits at s, or -1. */
static long hex_at(const char *s, int n)
{
	long v = 0;
	int i;

	for (i = 0; i < n; i++) {
		int c = (unsigned char) s[i], d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			d = (c | 0x20) - 'a' + 10;
		else
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/* Appends code point u as UTF-8 at out; returns the bytes written. */
static size_t put_utf8(char *out, long u)
{
	if (u < 0x80) {
		out[0] = (char) u;
		return 1;
	}
	if (u < 0x800) {
		out[0] = (char) (0xc0 | (u >> 6));
		out[1] = (char) (0x80 | (u & 0x3f));
		return 2;
	}
	if (u < 0x10000) {
		out[0] = (char) (0xe0 | (u >> 12));
		out[1] = (char) (0x80 | ((u >> 6) & 0x3f));
		out[2] = (char) (0x80 | (u & 0x3f));
		return 3;
	}
	out[0] = (char) (0xf0 | (u >> 18));
	out[1] = (char) (0x80 | ((u >> 12) & 0x3f));
	out[2] = (char) (0x80 | ((u >> 6) & 0x3f));
	out[3] = (char) (0x80 | (u & 0x3f));
	return 4;
}

/*
 * Reads the JSON string at *s (past its opening quote) into a malloc'd
 * C string; *s ends past the closing quote.  NULL with err on error.
 */
static char *json_word(const char **s, char *err, size_t errsz)
{
	const char *p = *s;
	char *out = malloc(strlen(p) + 1), *o = out; /* never longer */

	if (!out) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	for (;;) {
		unsigned char c = (unsigned char) *p++;
		long u, lo;

		if (c == '"')
			break;
		if (c == '\0' || c < 0x20) {
			snprintf(err, errsz,
				 c ? "a control character in a "
				     "string"
				   : "a string without its end");
			goto fail;
		}
		if (c != '\\') {
			*o++ = (char) c;
			continue;
		}
		c = (unsigned char) *p++;
		switch (c) {
		case '"':
		case '\\':
		case '/':
			*o++ = (char) c;
			continue;
		case 'b':
			*o++ = '\b';
			continue;
		case 'f':
			*o++ = '\f';
			continue;
		case 'n':
			*o++ = '\n';
			continue;
		case 'r':
			*o++ = '\r';
			continue;
		case 't':
			*o++ = '\t';
			continue;
		case 'u':
			break;
		default:
			snprintf(err, errsz, "a bad escape in a string");
			goto fail;
		}
		u = hex_at(p, 4);
		if (u < 0) {
			snprintf(err, errsz, "a bad \\u escape in a string");
			goto fail;
		}
		p += 4;
		if (u >= 0xdc80 && u <= 0xdcff) { /* a raw byte */
			*o++ = (char) (u - 0xdc00);
			continue;
		}
		if (u >= 0xd800 && u <= 0xdbff && p[0] == '\\' && p[1] == 'u' &&
		    (lo = hex_at(p + 2, 4)) >= 0xdc00 && lo <= 0xdfff) {
			u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
			p += 6;
		} else if (u >= 0xd800 && u <= 0xdfff) {
			snprintf(err, errsz, "a lone surrogate in a string");
			goto fail;
		}
		if (u == 0) {
			snprintf(err, errsz, "a NUL in a string");
			goto fail;
		}
		o += put_utf8(o, u);
	}
	*o = '\0';
	*s = p;
	return out;
fail:
	free(out);
	return NULL;
}

static const char *skip_space(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	return s;
}

int find_words_json(const char *line, char ***words, int *n, char *err,
		    size_t errsz)
{
	const char *p = skip_space(line);
	char **v = NULL, **more;
	int count = 0;

	*words = NULL;
	*n = 0;
	err[0] = '\0';
	if (*p++ != '[') {
		snprintf(err, errsz, "not a JSON array of strings");
		return -EINVAL;
	}
	p = skip_space(p);
	if (*p == ']')
		p++;
	else
		for (;;) {
			char *w;

			if (*p++ != '"') {
				snprintf(err, errsz,
					 "not a JSON array of strings");
				goto fail;
			}
			w = json_word(&p, err, errsz);
			if (!w)
				goto fail;
			more = realloc(v, (size_t) (count + 2) * sizeof(*v));
			if (!more) {
				free(w);
				snprintf(err, errsz, "out of memory");
				goto fail;
			}
			v = more;
			v[count++] = w;
			v[count] = NULL;
			p = skip_space(p);
			if (*p == ']') {
				p++;
				break;
			}
			if (*p++ != ',') {
				snprintf(err, errsz,
					 "not a JSON array of strings");
				goto fail;
			}
			p = skip_space(p);
		}
	if (*skip_space(p)) {
		snprintf(err, errsz, "text after the array");
		goto fail;
	}
	if (!v) {
		v = calloc(1, sizeof(*v));
		if (!v) {
			snprintf(err, errsz, "out of memory");
			return -ENOMEM;
		}
	}
	*words = v;
	*n = count;
	return 0;
fail:
	find_words_free(v, count);
	return strcmp(err, "out of memory") ? -EINVAL : -ENOMEM;
}

void find_words_free(char **words, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(words[i]);
	free(words);
}
