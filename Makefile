# woes — PGXS build.  The version comes from woes.control alone.
EXTENSION = woes
EXTVERSION := $(shell sed -n "s/^default_version *= *'\(.*\)'/\1/p" woes.control)

MODULE_big = woes
OBJS = src/woes.o src/context.o src/session.o src/scope.o src/ids.o src/enums.o src/guard.o src/visibility.o \
       src/rowwriter.o src/events.o src/conversations.o src/lifecycle.o src/handoff.o \
       src/messages.o src/intake.o

# The install script of the version in development is built from one SQL
# file per concern, in the files' numeric order.
SQL_SOURCES = $(sort $(wildcard src/sql/[0-9][0-9]_*.sql))

DATA_built = woes--$(EXTVERSION).sql
# Installed as they are: the install scripts of past releases (releases/, kept
# as released, never edited) and the upgrade scripts (src/sql/woes--A--B.sql)
# that lead from each release to the version in development.
DATA = $(wildcard releases/woes--*.sql) $(wildcard src/sql/woes--*--*.sql)

ifneq ($(wildcard releases/woes--$(EXTVERSION).sql),)
$(error woes.control says $(EXTVERSION), which is already released (releases/woes--$(EXTVERSION).sql): set default_version to the next version)
endif

# pg_regress suites (sql/, expected/), one per concern
REGRESS = $(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql)))
REGRESS_OPTS = --inputdir=.

# isolation specs (test/specs/, test/expected/)
ISOLATION = $(patsubst test/specs/%.spec,%,$(sort $(wildcard test/specs/*.spec)))
ISOLATION_OPTS = --inputdir=test --outputdir=test/output_iso

# (the built scripts at the top only: releases/ is kept)
EXTRA_CLEAN = $(wildcard woes--[0-9]*.sql) test/output_iso results regression.diffs regression.out

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

woes--$(EXTVERSION).sql: $(SQL_SOURCES) woes.control
	cat $(SQL_SOURCES) > $@

