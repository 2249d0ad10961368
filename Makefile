# woes — PGXS build.  The version comes from woes.control alone.
#
# Works in the source tree (make; make install; make installcheck) and out of
# it, as Debian's pg_buildext builds (make -C build-15 -f $PWD/Makefile
# VPATH=$PWD): sources are read from the source directory, everything built
# is written to the current one.
EXTENSION = woes

# The source directory: "." in the source tree; else VPATH when given, or the
# directory of this Makefile (what PGXS sets srcdir and VPATH to, later).
woes_srcdir := $(or $(VPATH),$(patsubst %/,%,$(dir $(firstword $(MAKEFILE_LIST)))))
# $(call woes_src,PATTERN): the source files matching PATTERN, named relative
# to the source directory (as PGXS's DATA and make's VPATH search want them)
woes_src = $(sort $(patsubst $(woes_srcdir)/%,%,$(wildcard $(woes_srcdir)/$(1))))

EXTVERSION := $(shell sed -n "s/^default_version *= *'\(.*\)'/\1/p" '$(woes_srcdir)/woes.control')

MODULE_big = woes
OBJS = src/woes.o src/context.o src/context_check.o src/session.o src/scope.o src/ids.o src/enums.o src/guard.o src/visibility.o \
       src/rowwriter.o src/policies.o src/rowupdate.o src/events.o src/conversations.o src/lifecycle.o src/handoff.o \
       src/messages.o src/intake.o src/probe.o src/shards.o src/forward.o src/assignment.o src/routing.o src/links.o src/fields.o src/bindings.o src/merge.o src/metrics.o src/eventtime.o src/plans.o src/bi.o

# The install script of the version in development is built from one SQL
# file per concern, in the files' numeric order.
SQL_SOURCES = $(call woes_src,src/sql/[0-9][0-9]_*.sql)

DATA_built = woes--$(EXTVERSION).sql
# Installed as they are: the install scripts of past releases (releases/, kept
# as released, never edited) and the upgrade scripts (src/sql/woes--A--B.sql)
# that lead from each release to the version in development.
DATA = $(call woes_src,releases/woes--*.sql) $(call woes_src,src/sql/woes--*--*.sql)

ifneq ($(wildcard $(woes_srcdir)/releases/woes--$(EXTVERSION).sql),)
$(error woes.control says $(EXTVERSION), which is already released (releases/woes--$(EXTVERSION).sql): set default_version to the next version)
endif

# pg_regress suites (sql/, expected/), one per concern
REGRESS = $(patsubst sql/%.sql,%,$(call woes_src,sql/*.sql))
REGRESS_OPTS = --inputdir=$(woes_srcdir)

# isolation specs (test/specs/, test/expected/)
ISOLATION = $(patsubst test/specs/%.spec,%,$(call woes_src,test/specs/*.spec))
ISOLATION_OPTS = --inputdir=$(woes_srcdir)/test --outputdir=test/output_iso
# (pg_regress makes its output directory, but not test/ out of the tree)
REGRESS_PREP = woes-test-dir

# (the built scripts at the top only: releases/ is kept)
EXTRA_CLEAN = $(wildcard woes--[0-9]*.sql) test/output_iso results regression.diffs regression.out \
              $(wildcard woes-[0-9]*.zip)

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

woes--$(EXTVERSION).sql: $(SQL_SOURCES) woes.control
	cat $(addprefix $(woes_srcdir)/,$(SQL_SOURCES)) > $@

# Out of the tree the objects (src/*.o, src/*.bc) go to src/ of the build
# directory, which make has to create.
ifneq ($(woes_srcdir),.)
$(OBJS) $(OBJS:.o=.bc): | woes-src-dir
endif
.PHONY: woes-src-dir woes-test-dir
woes-src-dir:
	@mkdir -p src
woes-test-dir:
	@mkdir -p test

# The PGXN distribution: woes-VERSION.zip, one top directory woes-VERSION/,
# the files of the commit at HEAD (git archive: tracked files only, so no
# build output; .gitattributes export-ignore leaves out debian/ and CI).
# Made anew each time: HEAD may have moved since the last one.
.PHONY: dist
dist:
	rm -f woes-$(EXTVERSION).zip
	git -C '$(woes_srcdir)' archive --format zip --prefix=woes-$(EXTVERSION)/ -o '$(CURDIR)/woes-$(EXTVERSION).zip' HEAD
