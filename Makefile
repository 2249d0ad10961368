# woes — PGXS build.  The version comes from woes.control alone.
EXTENSION = woes
EXTVERSION := $(shell sed -n "s/^default_version *= *'\(.*\)'/\1/p" woes.control)

MODULE_big = woes
OBJS = src/woes.o src/context.o src/scope.o src/ids.o src/enums.o src/guard.o src/visibility.o \
       src/rowwriter.o src/events.o src/conversations.o src/lifecycle.o src/handoff.o \
       src/messages.o src/intake.o

# The install script is built from one SQL file per concern, in the files'
# numeric order.
SQL_SOURCES = $(sort $(wildcard src/sql/[0-9][0-9]_*.sql))

DATA_built = woes--$(EXTVERSION).sql
DATA = $(wildcard src/sql/woes--*--*.sql)

# pg_regress suites (sql/, expected/), one per concern
REGRESS = $(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql)))
REGRESS_OPTS = --inputdir=.

# isolation specs (test/specs/, test/expected/)
ISOLATION = $(patsubst test/specs/%.spec,%,$(sort $(wildcard test/specs/*.spec)))
ISOLATION_OPTS = --inputdir=test --outputdir=test/output_iso

EXTRA_CLEAN = woes--$(EXTVERSION).sql test/output_iso results regression.diffs regression.out

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

woes--$(EXTVERSION).sql: $(SQL_SOURCES) woes.control
	cat $(SQL_SOURCES) > $@

