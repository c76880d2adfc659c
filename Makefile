# sign_s3 - presigned S3 upload URLs as a FastCGI / CGI responder and CLI.
#
#   make                 build build/sign_s3
#   make test            every test (normal build, then the ASan+UBSan build);
#                        builds the benchmarks too (bench-build), never runs them
#   make test SANITIZE=1 the suite under the sanitizer build only
#   make bench           signing (presign, handler, 100-part batch) vs botocore,
#                        and the S3 client vs botocore on local S3, same run
#   make bench-http      through nginx: vs FastCGI ceiling and the Node peer
#   make bench-cgi       plain CGI, exec to exit
#   make fuzz            libFuzzer targets, FUZZ_SECONDS each (default 60)
#   make install PREFIX=/usr/local DESTDIR=   binary and sign_s3(8)
#   make deb             dist/sign-s3_<version>_<arch>.deb (debian/, debhelper)
#
# Sources are found by wildcard: a new common/*.c joins the library, a new
# tests/unit/test_*.c becomes a test binary, a new executable tests/*.sh|*.py
# script joins `make test`.

CC       ?= cc
PREFIX   ?= /usr/local
SANITIZE ?= 0
ifeq ($(SANITIZE),1)
BUILD    ?= build-san
else
BUILD    ?= build
endif

PKG_CONFIG ?= pkg-config
PKGS     := libcrypto libcjson fcgi expat
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) libcurl libmagic expat 2>/dev/null)
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
# expat (common/s3xml.c, S3's XML answers) is in PKGS: the responder
# links it for the S3 client; XML_LIBS names it for the unit tests
XML_LIBS   := $(shell $(PKG_CONFIG) --libs expat 2>/dev/null)

VERSION  := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
WARN     := -std=c11 -Wall -Wextra -Werror -Wmissing-prototypes \
            -Wstrict-prototypes -Wwrite-strings -Wshadow -Wvla
OPT      ?= -O2 -g
ifeq ($(SANITIZE),1)
OPT      := -O1 -g -fno-omit-frame-pointer
SAN      := -fsanitize=address,undefined -fno-sanitize-recover=all
endif
CPPFLAGS += -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L \
            -DSIGN_S3_VERSION='"$(VERSION)"' -Icommon -Icgi
ALL_CFLAGS  = $(WARN) $(OPT) $(SAN) $(PKG_CFLAGS) $(CFLAGS) -MMD -MP
ALL_LDFLAGS = $(SAN) $(LDFLAGS)
LIBS        = $(PKG_LIBS)

COMMON_SRC := $(sort $(wildcard common/*.c))
CGI_SRC    := $(filter-out cgi/main.c,$(sort $(wildcard cgi/*.c)))
UNIT_SRC   := $(sort $(wildcard tests/unit/test_*.c))
COMMON_OBJ := $(COMMON_SRC:%.c=$(BUILD)/%.o)
CGI_OBJ    := $(CGI_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
CGI_LIB    := $(BUILD)/libcgi.a
LIB        := $(BUILD)/libsigns3.a
MAIN_OBJ   := $(BUILD)/cgi/main.o
BIN        := $(BUILD)/sign_s3
TEST_SCRIPTS := $(sort $(wildcard tests/*.sh tests/*.py)) tests/fuzz/replay.sh

# libFuzzer targets (clang, ASan+UBSan): FUZZ_SECONDS each
FUZZ_SECONDS ?= 60

.PHONY: all test unit clean install deb bench-build bench bench-http bench-cgi cgi-bundle demo demo-stop fuzz
all: $(BIN)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(LIB): $(COMMON_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(CGI_LIB): $(CGI_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BIN): $(MAIN_OBJ) $(CGI_LIB) $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $(MAIN_OBJ) $(CGI_LIB) $(LIB) $(LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(CGI_LIB) $(LIB) tests/tap.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(CGI_LIB) $(LIB) $(LIBS) $(XML_LIBS)

unit: $(UNIT_BIN)

# The suite runs under prove (TAP); its last line is "Result: PASS" or "Result: FAIL".
# Without SANITIZE, the unit tests and the CLI scripts also run against the
# ASan+UBSan build, in the same prove run.
test: all unit bench-build
ifeq ($(SANITIZE),1)
	SIGN_S3=$(abspath $(BIN)) prove $(PROVE_FLAGS) $(UNIT_BIN) $(TEST_SCRIPTS)
else
	$(MAKE) --no-print-directory SANITIZE=1 BUILD=build-san all unit
	SIGN_S3=$(abspath $(BIN)) prove $(PROVE_FLAGS) $(UNIT_BIN) \
	    $(patsubst $(BUILD)/%,build-san/%,$(UNIT_BIN)) $(TEST_SCRIPTS)
endif

BENCH_BIN := $(BUILD)/bench/bench_presign $(BUILD)/bench/bench_handler \
             $(BUILD)/bench/bench_parts $(BUILD)/bench/bench_s3client \
             $(BUILD)/bench/bench_verify
$(BUILD)/bench/%: bench/%.c $(CGI_LIB) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(CGI_LIB) $(LIB) $(LIBS)

# make test builds the benchmarks (never runs them), so that a change of an
# API they call fails there and not at the next make bench
bench-build: $(BENCH_BIN) $(BUILD)/bench/fcgi_null

bench: $(BENCH_BIN)
	bench/presign.sh $(filter-out %/bench_s3client,$(BENCH_BIN))
	bench/s3.sh $(BUILD)/bench/bench_s3client

# Through nginx: sign_s3 vs the FastCGI transport ceiling (bench/fcgi_null.c)
# vs the reference design on Node (bench/peers/node), wrk at 32 and 128.
bench-http: $(BIN) $(BUILD)/bench/fcgi_null
	SKIP_BUILD=1 BUILD=$(BUILD) bench/http.sh

# Plain CGI: a whole request, exec to exit, against /bin/true.
bench-cgi: $(BIN)
	SKIP_BUILD=1 BUILD=$(BUILD) bench/cgi.sh

# Shared-hosting bundle: dist/sign_s3-cgi/ (binary, its libraries beyond
# glibc behind an $$ORIGIN/lib rpath, .htaccess and configuration examples)
cgi-bundle: $(BIN)
	scripts/cgi-bundle.sh dist $(BIN)

# The demo: local S3 (Swift), sign_s3 and nginx on 127.0.0.1:8000 (DEMO_PORT).
# No prerequisite on all: on a fresh machine the script installs packages first.
demo:
	scripts/demo.sh start

demo-stop:
	scripts/demo.sh stop

fuzz:
	tests/fuzz/run.sh $(FUZZ_SECONDS)

install: $(BIN)
	install -D -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/sign_s3
	install -D -m 0644 man/sign_s3.8 $(DESTDIR)$(PREFIX)/share/man/man8/sign_s3.8

# The Debian package, built by dpkg-buildpackage in a copy of the tree (the
# work tree and its parent stay clean): dist/sign-s3_VERSION_ARCH.deb and
# its .changes and .buildinfo. No prerequisite on all: it builds its own.
deb:
	scripts/deb.sh dist

clean:
	rm -rf build build-san build-deb dist

-include $(COMMON_OBJ:.o=.d) $(CGI_OBJ:.o=.d) $(MAIN_OBJ:.o=.d) $(UNIT_BIN:=.d)
