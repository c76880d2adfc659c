# fuzz.mk - builds the libFuzzer targets of tests/fuzz/ into build/fuzz/
# with clang (never the gcc objects of build/): the sources each target
# needs are compiled here with coverage instrumentation, ASan and UBSan.
# Used by tests/fuzz/run.sh and tests/fuzz/replay.sh:
#   make -f tests/fuzz/fuzz.mk [-j2] [FUZZ_CC=clang] [targets...]
# from the top of the repository.

FUZZ_CC    ?= clang
FUZZ_OUT   ?= build/fuzz
PKG_CONFIG ?= pkg-config
CJSON_CFLAGS := $(shell $(PKG_CONFIG) --cflags libcjson 2>/dev/null) \
                $(shell $(PKG_CONFIG) --cflags libcurl 2>/dev/null)
FUZZ_LIBS    := $(shell $(PKG_CONFIG) --libs libcjson libcrypto libmagic expat 2>/dev/null || echo -lcjson -lcrypto -lmagic -lexpat)

SAN        := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
              -fno-omit-frame-pointer
WARN       := -std=c11 -Wall -Wextra -Wmissing-prototypes -Wstrict-prototypes \
              -Wwrite-strings -Wshadow -Wvla
# common/ and cgi/ as the Makefile builds them (warnings shown, not fatal:
# they are not ours to fix here); the targets with -Werror
LIB_CFLAGS := $(WARN) -O1 -g $(SAN) -fsanitize=fuzzer-no-link \
              -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -DSIGN_S3_VERSION='"fuzz"' \
              -Icommon -Icgi $(CJSON_CFLAGS)
TGT_CFLAGS := $(WARN) -Werror -Wno-missing-prototypes -O1 -g $(SAN) \
              -D_GNU_SOURCE -Icommon -Icgi -Itests/fuzz $(CJSON_CFLAGS)

TARGETS := fuzz_form fuzz_json fuzz_filename fuzz_mime fuzz_config fuzz_uri \
           fuzz_s3xml fuzz_json_strict
# opt-in (make -f tests/fuzz/fuzz.mk fuzz_handler): the whole handler
OPT_TARGETS := fuzz_handler fuzz_route

# what each target links: its own objects (from cgi/) and the archive of
# all of common/, from which the linker takes what is needed (so a new
# module in common/ needs no change here)
COMMON_LIB := $(FUZZ_OUT)/libcommon.a
SRC_fuzz_form     := cgi/request.c cgi/media_type.c
SRC_fuzz_json     := cgi/request.c cgi/media_type.c
SRC_fuzz_handler  := cgi/handler.c cgi/response.c cgi/request.c cgi/media_type.c
SRC_fuzz_route    := $(filter-out cgi/main.c cgi/serve.c cgi/serve_fcgi.c cgi/listen.c cgi/cli.c \
                     cgi/fcgi_conn.c,$(wildcard cgi/*.c))

# fuzz_json_strict embeds CPython: Debian's (python3-dev), never a python3
# that comes first on PATH (pyenv). Only its include path from --includes
# (as -isystem: its headers are not held to our warnings); --cflags would
# add CPython's own build flags (-O2 -DNDEBUG -fwrapv ...). The prefix is
# the interpreter's home, found without looking at PATH.
PY_CONFIG ?= $(firstword $(wildcard /usr/bin/python3-config /usr/bin/python3.11-config))
TGT_CFLAGS_fuzz_json_strict = $(patsubst -I%,-isystem %,$(shell $(PY_CONFIG) --includes)) \
                              -DFUZZ_PY_HOME='"$(shell $(PY_CONFIG) --prefix)"'
TGT_LIBS_fuzz_json_strict   = $(shell $(PY_CONFIG) --embed --ldflags)

HDRS := $(wildcard common/*.h cgi/*.h tests/fuzz/*.h)

.PHONY: all
all: $(TARGETS:%=$(FUZZ_OUT)/%)

$(FUZZ_OUT)/obj/%.o: %.c $(HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(LIB_CFLAGS) -c -o $@ $<

$(COMMON_LIB): $(patsubst %.c,$(FUZZ_OUT)/obj/%.o,$(wildcard common/*.c))
	@rm -f $@
	$(AR) rcs $@ $^

define target_rule
$(FUZZ_OUT)/$(1): tests/fuzz/$(1).c $(SRC_$(1):%.c=$(FUZZ_OUT)/obj/%.o) $(COMMON_LIB) $(HDRS)
	@mkdir -p $$(@D)
	$(FUZZ_CC) $(TGT_CFLAGS) $$(TGT_CFLAGS_$(1)) -fsanitize=fuzzer -o $$@ $$< \
	    $(SRC_$(1):%.c=$(FUZZ_OUT)/obj/%.o) $(COMMON_LIB) $(FUZZ_LIBS) $$(TGT_LIBS_$(1))
endef
$(foreach t,$(TARGETS) $(OPT_TARGETS),$(eval $(call target_rule,$(t))))

# bare names work too: make -f tests/fuzz/fuzz.mk fuzz_uri
.PHONY: $(TARGETS) $(OPT_TARGETS)
$(TARGETS) $(OPT_TARGETS): %: $(FUZZ_OUT)/%
