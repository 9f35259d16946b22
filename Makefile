# airlock build. `make` builds build/airlock; `make check` runs unit + integration tests.
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
CC ?= cc
PKGS := yajl libseccomp libcap libsystemd
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
# libsystemd is loaded with dlopen() when the systemd driver runs (sdbus_dl.c).
PKG_LIBS := $(shell pkg-config --libs $(filter-out libsystemd,$(PKGS)))
PKG_LIBS += -lm
# Tests may ask systemd directly what it did (test_cgroup_systemd).
TEST_LIBS := $(shell pkg-config --libs libsystemd)
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.1.0)
GIT_COMMIT := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

CFLAGS ?= -O2 -g
AL_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -iquote runtime/lib \
	-DAIRLOCK_VERSION='"$(VERSION)"' -DAIRLOCK_COMMIT='"$(GIT_COMMIT)"' $(PKG_CFLAGS)
LDFLAGS ?=

B := build
# `make SAN=1 ...`: the same targets built with ASan + UBSan into build-san/.
ifeq ($(SAN),1)
B := build-san
CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
# `make SAN=1 check|integration` runs the bats suites against the build-san/
# binaries. Sanitizer reports go to files under $(SAN_LOG_DIR) (the shim's
# stderr is a FIFO containerd reads, daemons and forked children have no
# terminal): tests/run.sh empties it first and fails when a report shows up.
# A report also makes the process fail (exitcode, no recovery). GCC's UBSan
# ignores log_path here: its reports go to stderr, with exit status 87.
SAN_LOG_DIR := $(CURDIR)/build-san/san-logs
export AIRLOCK := $(CURDIR)/build-san/airlock
export BUILD_DIR := $(CURDIR)/build-san
export AL_SAN_LOG_DIR := $(SAN_LOG_DIR)
export ASAN_OPTIONS := log_path=$(SAN_LOG_DIR)/asan:exitcode=86:abort_on_error=0:detect_leaks=1:allocator_may_return_null=0
export UBSAN_OPTIONS := print_stacktrace=1:halt_on_error=1:exitcode=87
export LSAN_OPTIONS := exitcode=88
endif
# `make FUZZ=1 ...`: the same with clang and libFuzzer's coverage into build-fuzz/ (`make fuzz`).
ifeq ($(FUZZ),1)
B := build-fuzz
CFLAGS := -O1 -gline-tables-only -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif
LIB_SRCS := $(wildcard runtime/lib/*.c)
CLI_SRCS := $(wildcard runtime/cli/*.c)
LIB_OBJS := $(LIB_SRCS:%.c=$(B)/obj/%.o)
CLI_OBJS := $(CLI_SRCS:%.c=$(B)/obj/%.o)
TEST_SRCS := $(wildcard tests/test_*.c)
TEST_BINS := $(TEST_SRCS:tests/%.c=$(B)/tests/%)

all: $(B)/airlock

$(B)/obj/%.o: %.c $(wildcard runtime/lib/*.h runtime/cli/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(AL_CFLAGS) $(CFLAGS) -c -o $@ $<

$(B)/libairlock.a: $(LIB_OBJS)
	@mkdir -p $(B)
	rm -f $@ && ar rcs $@ $^

$(B)/airlock: $(CLI_OBJS) $(B)/libairlock.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJS) $(B)/libairlock.a $(PKG_LIBS)

$(B)/tests/%: tests/%.c $(B)/libairlock.a
	@mkdir -p $(dir $@)
	$(CC) $(AL_CFLAGS) -Itests $(CFLAGS) $(LDFLAGS) -o $@ $< $(B)/libairlock.a $(PKG_LIBS) -lcmocka $(TEST_LIBS)

# Unit tests (cmocka) and integration tests (bats), one TAP stream, closing
# with "N passed, N failed".
unit: $(TEST_BINS)
	@bash tests/run.sh unit $(TEST_BINS)

integration: $(B)/airlock
	@bash tests/run.sh integration

check: all $(TEST_BINS)
	@bash tests/run.sh all $(TEST_BINS)

install: $(B)/airlock
	install -D -m 0755 $(B)/airlock $(DESTDIR)$(BINDIR)/airlock
	install -d $(DESTDIR)$(PREFIX)/share/airlock/profiles
	install -m 0644 specs/profiles/*.json $(DESTDIR)$(PREFIX)/share/airlock/profiles/

clean:
	rm -rf build build-san build-fuzz

.PHONY: all unit integration check install clean

# ---- check-vm (hack/vm/) -----------------------------------------------------
# The tests that need systemd as PID 1 and pure cgroup v2 (integration/vm/),
# run inside a throw-away VM booted from a cached image (built on first use).
# The airlock binary is built here and run in the guest from the shared tree.
check-vm: $(B)/airlock $(B)/tests/test_cgroup_systemd
	@hack/vm/run.sh --timeout 1500 -- bash tests/run.sh vm $(B)/tests/test_cgroup_systemd

.PHONY: check-vm
# ---- end check-vm ------------------------------------------------------------

# ---- containerd-shim-airlock-v2 ------------------------------------------------
# Messages from our own .proto files (specs/proto/), compiled with protoc-c at
# build time into $(B)/gen/; the shim is shim/*.c on top of libairlock.
PROTOS := $(shell find specs/proto -name '*.proto' 2>/dev/null | sort)
PROTO_C := $(PROTOS:specs/proto/%.proto=$(B)/gen/%.pb-c.c)
PROTO_O := $(PROTO_C:%.c=%.o)
SHIM_SRCS := $(wildcard shim/*.c)
SHIM_OBJS := $(SHIM_SRCS:%.c=$(B)/obj/%.o)
SHIM_CFLAGS := -I$(B)/gen -iquote shim $(shell pkg-config --cflags libprotobuf-c)
SHIM_LIBS := $(shell pkg-config --libs libprotobuf-c)

$(B)/gen/%.pb-c.c $(B)/gen/%.pb-c.h: specs/proto/%.proto
	@mkdir -p $(B)/gen
	protoc-c --proto_path=specs/proto --c_out=$(B)/gen $<

$(B)/gen/%.pb-c.o: $(B)/gen/%.pb-c.c
	$(CC) -std=gnu11 -O2 -g $(SHIM_CFLAGS) $(CFLAGS) $(SHIM_OPT) -c -o $@ $<

# libairlock's headers too: the shim embeds its structs (struct al_watch...).
$(SHIM_OBJS) $(PROTO_O): $(PROTO_C) $(wildcard shim/*.h runtime/lib/*.h)
$(B)/obj/shim/%.o: shim/%.c
	@mkdir -p $(dir $@)
	$(CC) $(AL_CFLAGS) $(SHIM_CFLAGS) $(CFLAGS) $(SHIM_OPT) -c -o $@ $<

# One shim process runs per pod, so its memory counts N times: the shim is
# linked statically (static-pie: no ld.so and no 1.9 MiB libc.so mapped, only
# the libc code it uses is in the binary) against its own copy of libairlock
# built for size (-Os, one section per function, --gc-sections). The CLI and
# its libairlock.a are not affected. libsystemd is still dlopen()ed by the
# systemd cgroup driver (sdbus_dl.c; glibc warns about that at link time:
# test_sdbus_static checks it works). SAN=1 builds the shim dynamically.
ifneq ($(SAN),1)
SHIM_LIB := $(B)/libairlock-shim.a
SHIM_OPT := -Os -ffunction-sections -fdata-sections
SHIM_LDFLAGS := -static-pie -Wl,--gc-sections
# Debian ships yajl's static library as libyajl_s.a.
SHIM_LINK_LIBS := $(patsubst -lyajl,$(if $(wildcard $(shell pkg-config --variable=libdir yajl)/libyajl.a),-lyajl,-l:libyajl_s.a),\
	$(shell pkg-config --static --libs $(filter-out libsystemd,$(PKGS)) libprotobuf-c)) -lm
else
SHIM_LIB := $(B)/libairlock.a
SHIM_LINK_LIBS := $(PKG_LIBS) $(SHIM_LIBS)
endif
SHIM_LIB_OBJS := $(LIB_SRCS:%.c=$(B)/obj-shim/%.o)

$(B)/obj-shim/%.o: %.c $(wildcard runtime/lib/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(AL_CFLAGS) $(CFLAGS) $(SHIM_OPT) -DAL_STATIC_BINARY -c -o $@ $<

$(B)/libairlock-shim.a: $(SHIM_LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

$(B)/containerd-shim-airlock-v2: $(SHIM_OBJS) $(PROTO_O) $(SHIM_LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) $(SHIM_LDFLAGS) -o $@ $(SHIM_OBJS) $(PROTO_O) $(SHIM_LIB) $(SHIM_LINK_LIBS)

# The shim's dlopen() of libsystemd from a static binary, tested in such a
# binary (plain TAP: cmocka has no static library in Debian).
$(B)/tests/test_sdbus_static: tests/test_sdbus_static.c $(SHIM_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(AL_CFLAGS) $(CFLAGS) $(LDFLAGS) $(SHIM_LDFLAGS) -o $@ $< $(SHIM_LIB) $(SHIM_LINK_LIBS)

# The same shim linked dynamically, for valgrind (integration/shim/memcheck.bats).
$(B)/tests/containerd-shim-airlock-v2-dynamic: $(SHIM_OBJS) $(PROTO_O) $(B)/libairlock.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(SHIM_OBJS) $(PROTO_O) $(B)/libairlock.a $(PKG_LIBS) $(SHIM_LIBS)
check integration: $(B)/tests/containerd-shim-airlock-v2-dynamic

# Shim unit tests link the shim objects they test (no main.o) and protobuf-c.
SHIM_TEST_OBJS := $(filter-out $(B)/obj/shim/main.o,$(SHIM_OBJS)) $(PROTO_O)
SHIM_TESTS := $(filter $(B)/tests/test_ttrpc $(B)/tests/test_shim_%,$(TEST_BINS))
$(SHIM_TESTS): $(B)/tests/%: tests/%.c $(SHIM_TEST_OBJS) $(B)/libairlock.a
	@mkdir -p $(dir $@)
	$(CC) $(AL_CFLAGS) $(SHIM_CFLAGS) -Itests $(CFLAGS) $(LDFLAGS) -o $@ $< $(SHIM_TEST_OBJS) $(B)/libairlock.a $(PKG_LIBS) $(SHIM_LIBS) -lcmocka

ifneq ($(SHIM_SRCS),)
all: $(B)/containerd-shim-airlock-v2
install: install-shim
endif
install-shim: $(B)/containerd-shim-airlock-v2
	install -D -m 0755 $(B)/containerd-shim-airlock-v2 $(DESTDIR)$(BINDIR)/containerd-shim-airlock-v2
.PHONY: install-shim

# ---- fuzz (tests/fuzz/) --------------------------------------------------------
# libFuzzer harnesses, one per tests/fuzz/fuzz_NAME.c. `make fuzz` builds them
# with clang (FUZZ=1: ASan + UBSan, into build-fuzz/) and runs each for
# FUZZ_SECONDS on its seeds (tests/fuzz/corpus/NAME) and past crashes
# (tests/fuzz/regress/NAME): a crash fails it, its input lands in
# build-fuzz/crashes/NAME/. The unit tests replay both directories through
# every harness once, built with $(CC) and tests/fuzz/replay.c (no libFuzzer).
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 30
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_DEPS := $(SHIM_TEST_OBJS) $(B)/libairlock.a $(wildcard tests/fuzz/*.h)
FUZZ_LINK := $(SHIM_TEST_OBJS) $(B)/libairlock.a $(PKG_LIBS) $(SHIM_LIBS)
FUZZ_REPLAY := $(FUZZ_NAMES:%=$(B)/fuzz-replay/%)

$(B)/fuzz/%: tests/fuzz/fuzz_%.c $(FUZZ_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(AL_CFLAGS) $(SHIM_CFLAGS) -Itests/fuzz $(CFLAGS) $(LDFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_LINK)

$(B)/fuzz-replay/%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(FUZZ_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(AL_CFLAGS) $(SHIM_CFLAGS) -Itests/fuzz -DFUZZ_NAME='"$*"' $(CFLAGS) $(LDFLAGS) -o $@ $< tests/fuzz/replay.c $(FUZZ_LINK)

fuzz-build: $(FUZZ_NAMES:%=$(B)/fuzz/%)

fuzz:
	$(MAKE) FUZZ=1 CC=$(FUZZ_CC) fuzz-build
	@bash tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_NAMES)

# The replay runners are unit tests too (recipes expand TEST_BINS late).
TEST_BINS += $(FUZZ_REPLAY)
unit check: $(FUZZ_REPLAY)

.PHONY: fuzz fuzz-build
# ---- end fuzz ------------------------------------------------------------------
