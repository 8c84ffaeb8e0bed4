# Makefile for atomiccache (PGXS)

EXTENSION = atomiccache
MODULE_big = atomiccache
OBJS = $(patsubst %.c,%.o,$(wildcard src/*.c))
DATA = $(wildcard atomiccache--*.sql)
PGFILEDESC = "atomiccache - cross-session result cache"

REGRESS = $(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql)))
REGRESS_OPTS = --load-extension=atomiccache
TAP_TESTS = 1
PROVE_TESTS = $(sort $(wildcard test/t/*.pl))

PG_CONFIG ?= pg_config
PG_CFLAGS += -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS tracks no header dependencies unless PostgreSQL was configured with
# --enable-depend: every object depends on every header of ours.
$(OBJS): $(wildcard src/*.h)
