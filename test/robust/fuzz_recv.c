/*
 * fuzz_recv.c
 *		Fuzzes the binary input (receive) functions of woes's enum types the
 *		way a client reaches them: each input is the value of a parameter in
 *		binary format, typed as the woes type (Bind message), so the server
 *		calls woes.<type>_recv on the raw bytes.  Unlike text input, these
 *		bytes may be anything: invalid UTF-8, NUL bytes, any length.  Runs in
 *		several client encodings, so the server's conversion comes first.
 *
 *		fuzz_recv N SEED     (connection from the PG* environment)
 *
 * Prints one line per (type, outcome) -- outcome 'accepted' or the SQLSTATE
 * of the rejection -- as tab-separated  func, outcome, count, example,
 * message  (example and message percent-escaped), ready for COPY.  Exits
 * 0 when every input was answered; 3 if the connection was lost (the input
 * that was being sent is printed to stderr, in hex); 4 if an input other
 * than an exact label was accepted, or a label rejected.
 *
 * Built by test/sh/fuzz.sh with: cc -o fuzz_recv fuzz_recv.c -I$(pg_config --includedir) -lpq
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>

#include <libpq-fe.h>

#define MAX_OUTCOMES 64

static const char *const audience_labels[] = {"customer", "agent", "operator", "analyst", "admin", NULL};
static const char *const status_labels[] = {"open", "pending", "snoozed", "resolved", "closed", NULL};
static const char *const visibility_labels[] = {"public", "internal", "debug", NULL};
static const char *const control_labels[] = {"automation", "handoff_requested", "operator", NULL};

static const struct
{
	const char *type;
	const char *const *labels;
}			types[] = {
	{"woes.audience", audience_labels},
	{"woes.status", status_labels},
	{"woes.visibility", visibility_labels},
	{"woes.control", control_labels},
};

static const char *const encodings[] = {"UTF8", "LATIN1", "GB18030", "SQL_ASCII"};

typedef struct Outcome
{
	char		func[64];
	char		code[16];
	long		n;
	char		example[200];
	char		message[220];
} Outcome;

static Outcome outcomes[MAX_OUTCOMES];
static int	noutcomes = 0;
static int	violations = 0;

/* xorshift64*: a fixed sequence per seed */
static uint64_t rng_state;

static uint64_t
rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static int
ri(int lo, int hi)
{
	return lo + (int) (rnd() % (uint64_t) (hi - lo + 1));
}

/* the input buffer */
static unsigned char *buf;
static size_t buflen;
static size_t bufcap;

static void
put(const void *p, size_t n)
{
	if (buflen + n > bufcap)
	{
		while (buflen + n > bufcap)
			bufcap *= 2;
		buf = realloc(buf, bufcap);
		if (buf == NULL)
		{
			fprintf(stderr, "out of memory\n");
			exit(2);
		}
	}
	memcpy(buf + buflen, p, n);
	buflen += n;
}

static void
putc1(int c)
{
	unsigned char b = (unsigned char) c;

	put(&b, 1);
}

/* one code point as UTF-8 (also surrogates and values past U+10FFFF: junk on purpose) */
static void
put_utf8(uint32_t cp)
{
	if (cp < 0x80)
		putc1(cp);
	else if (cp < 0x800)
	{
		putc1(0xC0 | (cp >> 6));
		putc1(0x80 | (cp & 0x3F));
	}
	else if (cp < 0x10000)
	{
		putc1(0xE0 | (cp >> 12));
		putc1(0x80 | ((cp >> 6) & 0x3F));
		putc1(0x80 | (cp & 0x3F));
	}
	else
	{
		putc1(0xF0 | ((cp >> 18) & 0x07));
		putc1(0x80 | ((cp >> 12) & 0x3F));
		putc1(0x80 | ((cp >> 6) & 0x3F));
		putc1(0x80 | (cp & 0x3F));
	}
}

/* byte sequences that break decoders */
static const char *const nasty[] = {
	"\xC3", "\xE2\x82", "\xF0\x9F\x98", "\xC0\xAF", "\xE0\x80\xAF", "\xED\xA0\x80", "\xED\xBF\xBF",
	"\xF4\x90\x80\x80", "\xF8\x88\x80\x80\x80", "\xFE", "\xFF", "\x80", "\xBF", "\xEF\xBB\xBF",
	"\xC2\xA0", "\xE2\x80\x8B", "\x1B[0m", "\r\n", "\t", " ", "%s%n", "\\", "'", "\"",
};

static void
put_random_bytes(int n)
{
	for (int i = 0; i < n; i++)
		putc1((int) (rnd() & 0xFF));
}

/* an input: exact labels, byte-level near misses, random bytes, long ones */
static void
generate(const char *const *labels, int nlabels)
{
	const char *label = labels[ri(0, nlabels - 1)];
	int			r = ri(0, 999);

	buflen = 0;
	if (r < 50)
		put(label, strlen(label));
	else if (r < 500)
	{
		int			len = (int) strlen(label);
		int			p = ri(0, len);
		int			op = ri(0, 13);

		switch (op)
		{
			case 0:				/* a flipped case */
				put(label, len);
				buf[p < len ? p : 0] ^= 0x20;
				break;
			case 1:				/* a NUL byte inside or after */
				put(label, p);
				putc1(0);
				put(label + p, len - p);
				break;
			case 2:				/* a byte inserted */
				put(label, p);
				putc1((int) (rnd() & 0xFF));
				put(label + p, len - p);
				break;
			case 3:				/* a byte deleted */
				put(label, len);
				if (len > 0 && p < len)
				{
					memmove(buf + p, buf + p + 1, len - p - 1);
					buflen--;
				}
				break;
			case 4:				/* a byte replaced */
				put(label, len);
				buf[p < len ? p : 0] = (unsigned char) (rnd() & 0xFF);
				break;
			case 5:				/* a decoder trap inside */
				{
					const char *t = nasty[ri(0, (int) (sizeof(nasty) / sizeof(nasty[0])) - 1)];

					put(label, p);
					put(t, strlen(t));
					put(label + p, len - p);
				}
				break;
			case 6:				/* cut short */
				put(label, p);
				break;
			case 7:				/* doubled */
				put(label, len);
				put(label, len);
				break;
			case 8:				/* blanks around */
				putc1(" \t\n\r\v\f"[ri(0, 5)]);
				put(label, len);
				if (ri(0, 1))
					putc1(" \t\n\r\v\f"[ri(0, 5)]);
				break;
			case 9:				/* the label and junk after a NUL */
				put(label, len);
				putc1(0);
				put_random_bytes(ri(1, 8));
				break;
			case 10:			/* a non-ASCII look-alike (Cyrillic o, a, e, c, p) */
				put(label, p);
				put_utf8((uint32_t) ((const int[]) {0x43E, 0x430, 0x435, 0x441, 0x440})[ri(0, 4)]);
				put(label + (p < len ? p + 1 : len), len - (p < len ? p + 1 : len));
				break;
			case 11:			/* a Latin-1 byte for a letter (é as 0xE9) */
				put(label, len);
				buf[p < len ? p : 0] = 0xE9;
				break;
			case 12:			/* another type's label */
				{
					const char *const *other = types[ri(0, 3)].labels;
					int			k = 0;

					while (other[k])
						k++;
					label = other[ri(0, k - 1)];
					put(label, strlen(label));
				}
				break;
			default:			/* an overlong encoding of a letter */
				put(label, p);
				putc1(0xC1);
				putc1(0x80 | (label[p < len ? p : 0] & 0x3F));
				put(label + (p < len ? p + 1 : len), len - (p < len ? p + 1 : len));
				break;
		}
	}
	else if (r < 700)
		put_random_bytes(ri(0, 32));
	else if (r < 800)
	{
		int			n = ri(0, 24);

		for (int i = 0; i < n; i++)
			putc1(ri(32, 126));
	}
	else if (r < 900)
	{
		int			n = ri(0, 16);

		for (int i = 0; i < n; i++)
		{
			uint32_t	cp = (uint32_t) ri(1, 0x10FFFF);

			if (cp >= 0xD800 && cp <= 0xDFFF)
				cp = 0xFFFD;
			put_utf8(cp);
		}
	}
	else if (r < 940)
	{
		/* nothing at all */
	}
	else if (r < 999 || ri(0, 3) > 0)
	{
		int			n = ri(100, 8000);

		put(label, strlen(label));
		while ((int) buflen < n)
			putc1(ri(0, 3) ? ' ' : ri(33, 126));
	}
	else
	{
		int			n = ri(500000, 2000000);

		while ((int) buflen < n)
		{
			if (ri(0, 7) == 0)
				put_random_bytes(16);
			else
				put(label, strlen(label));
		}
	}
}

/* percent-escape everything but letters, digits and a few safe characters */
static void
escape(char *out, size_t outsize, const unsigned char *in, size_t inlen, size_t maxin)
{
	size_t		o = 0;
	size_t		i;

	for (i = 0; i < inlen && i < maxin && o + 4 < outsize; i++)
	{
		unsigned char c = in[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			c == '_' || c == '.' || c == ',' || c == ':' || c == '-' || c == ' ' || c == '"')
			out[o++] = (char) c;
		else
			o += (size_t) snprintf(out + o, outsize - o, "%%%02X", c);
	}
	if (i < inlen && o + 24 < outsize)
		o += (size_t) snprintf(out + o, outsize - o, "... (%zu bytes)", inlen);
	out[o] = '\0';
}

static void
count(const char *func, const char *code, const char *message)
{
	int			i;

	for (i = 0; i < noutcomes; i++)
		if (strcmp(outcomes[i].func, func) == 0 && strcmp(outcomes[i].code, code) == 0)
		{
			outcomes[i].n++;
			return;
		}
	if (noutcomes == MAX_OUTCOMES)
		return;
	snprintf(outcomes[i].func, sizeof(outcomes[i].func), "%s", func);
	snprintf(outcomes[i].code, sizeof(outcomes[i].code), "%s", code);
	outcomes[i].n = 1;
	escape(outcomes[i].example, sizeof(outcomes[i].example), buf, buflen, 40);
	escape(outcomes[i].message, sizeof(outcomes[i].message), (const unsigned char *) message,
		   strlen(message), 60);
	noutcomes++;
}

static void
dump_input(const char *what)
{
	fprintf(stderr, "%s; input (%zu bytes, hex): ", what, buflen);
	for (size_t i = 0; i < buflen && i < 512; i++)
		fprintf(stderr, "%02x", buf[i]);
	fprintf(stderr, "%s\n", buflen > 512 ? "..." : "");
}

int
main(int argc, char **argv)
{
	PGconn	   *conn;
	long		n;
	int			t,
				e;

	if (argc != 3)
	{
		fprintf(stderr, "usage: %s N SEED\n", argv[0]);
		return 2;
	}
	n = atol(argv[1]);
	rng_state = (uint64_t) strtoull(argv[2], NULL, 10) * 2654435761ULL + 88172645463325252ULL;
	bufcap = 1 << 16;
	buf = malloc(bufcap);

	conn = PQconnectdb("");
	if (PQstatus(conn) != CONNECTION_OK)
	{
		fprintf(stderr, "connection failed: %s", PQerrorMessage(conn));
		return 2;
	}

	for (t = 0; t < 4; t++)
	{
		const char *const *labels = types[t].labels;
		int			nlabels = 0;
		char		sql[200];
		Oid			typoid;
		PGresult   *res;
		char		func[64];

		while (labels[nlabels])
			nlabels++;
		snprintf(sql, sizeof(sql), "SELECT '%s'::regtype::oid", types[t].type);
		res = PQexec(conn, sql);
		if (PQresultStatus(res) != PGRES_TUPLES_OK)
		{
			fprintf(stderr, "%s", PQerrorMessage(conn));
			return 2;
		}
		typoid = (Oid) strtoul(PQgetvalue(res, 0, 0), NULL, 10);
		PQclear(res);
		snprintf(func, sizeof(func), "%s binary receive", types[t].type);

		for (e = 0; e < 4; e++)
		{
			char		stmt[16];
			long		share = n / 4 + (e < n % 4 ? 1 : 0);

			PQclear(PQexec(conn, "RESET client_encoding"));
			if (PQsetClientEncoding(conn, encodings[e]) != 0)
			{
				fprintf(stderr, "could not set client_encoding %s: %s", encodings[e], PQerrorMessage(conn));
				return 2;
			}
			snprintf(stmt, sizeof(stmt), "recv_%d_%d", t, e);
			/* the parameter is typed as the woes type: Bind calls its receive function */
			res = PQprepare(conn, stmt, "SELECT $1::text", 1, &typoid);
			if (PQresultStatus(res) != PGRES_COMMAND_OK)
			{
				fprintf(stderr, "prepare failed: %s", PQerrorMessage(conn));
				return 2;
			}
			PQclear(res);

			for (long i = 0; i < share; i++)
			{
				const char *values[1];
				int			lengths[1];
				int			formats[1] = {1};
				ExecStatusType st;

				generate(labels, nlabels);
				values[0] = buflen > 0 ? (const char *) buf : "";
				lengths[0] = (int) buflen;
				res = PQexecPrepared(conn, stmt, 1, values, lengths, formats, 0);
				st = PQresultStatus(res);
				if (st == PGRES_TUPLES_OK && PQntuples(res) == 1)
				{
					const char *got = PQgetvalue(res, 0, 0);
					int			exact = 0;

					for (int k = 0; k < nlabels; k++)
						if (buflen == strlen(labels[k]) && memcmp(buf, labels[k], buflen) == 0 &&
							strcmp(got, labels[k]) == 0)
							exact = 1;
					if (!exact)
					{
						violations++;
						fprintf(stderr, "%s (client_encoding %s): accepted as \"%s\"", func, encodings[e], got);
						dump_input("");
					}
					count(func, "accepted", got);
				}
				else if (PQstatus(conn) != CONNECTION_OK || st != PGRES_FATAL_ERROR)
				{
					fprintf(stderr, "%s (client_encoding %s): status %s, connection %s: %s",
							func, encodings[e], PQresStatus(st),
							PQstatus(conn) == CONNECTION_OK ? "ok" : "LOST", PQerrorMessage(conn));
					dump_input("the server did not answer");
					return 3;
				}
				else
				{
					const char *code = PQresultErrorField(res, PG_DIAG_SQLSTATE);
					const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

					for (int k = 0; k < nlabels; k++)
						if (buflen == strlen(labels[k]) && memcmp(buf, labels[k], buflen) == 0)
						{
							violations++;
							fprintf(stderr, "%s (client_encoding %s): label %s rejected: %s",
									func, encodings[e], labels[k], PQerrorMessage(conn));
						}
					count(func, code ? code : "", msg ? msg : "");
				}
				PQclear(res);
			}
		}
	}
	PQfinish(conn);

	for (int i = 0; i < noutcomes; i++)
		printf("%s\t%s\t%ld\t%s\t%s\n", outcomes[i].func, outcomes[i].code, outcomes[i].n,
			   outcomes[i].example, outcomes[i].message);
	return violations > 0 ? 4 : 0;
}
