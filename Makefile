# porthole: one plain Makefile. `make` builds everything; `make check` sets up,
# builds and runs every test; `make demo` shows the whole job in a lab.

CC	 ?= cc
PREFIX	 ?= /usr/local
# Debian multiarch: LIBDIR=/usr/lib/x86_64-linux-gnu (the library and its .pc).
LIBDIR	 ?= $(PREFIX)/lib
DESTDIR	 ?=
# STRIP=1 (or `make install-strip`) installs programs and library stripped.
STRIP	 ?=
B	 := build
VERSION	 := 0.1.0

PKGS_DAEMON := libnftnl libmnl libmicrohttpd libxml-2.0 libcap libseccomp
PKGS_CLIENT := miniupnpc libcurl json-c
WARN	 := -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes -Wstrict-prototypes
CFLAGS	 ?= -O2 -g
CFLAGS	 += -std=c11 -D_GNU_SOURCE $(WARN) -Iinclude -Icommon -Idaemon -Iclient -Ireflector -MMD -MP
# The programs' --version; only their mains use it.
CFLAGS	 += -DPORTHOLE_VERSION='"$(VERSION)"'
DEP_CFLAGS = $(shell pkg-config --cflags $(PKGS_DAEMON) $(PKGS_CLIENT) 2>/dev/null)
LIBS_DAEMON = $(shell pkg-config --libs $(PKGS_DAEMON) 2>/dev/null)
LIBS_CLIENT = $(shell pkg-config --libs $(PKGS_CLIENT) 2>/dev/null) -lnatpmp -lresolv
SANITIZE ?=
ifneq ($(SANITIZE),)
CFLAGS	 += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer
LDFLAGS	 += -fsanitize=$(SANITIZE)
endif

# Shared by daemon and client (protocol wire definitions, the clock): built
# into both libraries.
COMMON_SRC := $(wildcard common/*.c)
# Daemon: every .c under daemon/ except the two programs' mains.
DAEMON_MAINS := daemon/main.c daemon/portholectl.c
DAEMON_SRC := $(filter-out $(DAEMON_MAINS),$(wildcard daemon/*.c daemon/*/*.c))
DAEMON_OBJ := $(DAEMON_SRC:%.c=$(B)/%.o) $(COMMON_SRC:%.c=$(B)/%.o)
# Client library: every .c under client/ except the CLI's main.
CLIENT_MAINS := client/porthole.c
CLIENT_SRC := $(filter-out $(CLIENT_MAINS),$(wildcard client/*.c))
CLIENT_OBJ := $(CLIENT_SRC:%.c=$(B)/pic/%.o) $(COMMON_SRC:%.c=$(B)/pic/%.o)
CLIENT_SOVER := 0
# The reflector (`porthole reflect`): part of the CLI, not of the library.
REFLECT_SRC := $(wildcard reflector/*.c)
REFLECT_OBJ := $(REFLECT_SRC:%.c=$(B)/%.o)
LIBS_REFLECT = $(shell pkg-config --libs libmicrohttpd 2>/dev/null) -pthread

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
HELPER_SRC := $(wildcard tests/helpers/*.c)
HELPER_BIN := $(HELPER_SRC:tests/helpers/%.c=$(B)/tests/%)

PROGRAMS := $(B)/portholed $(B)/portholectl
ifneq ($(CLIENT_SRC),)
PROGRAMS += $(B)/libporthole.a $(B)/libporthole.so
ifneq ($(wildcard $(CLIENT_MAINS)),)
PROGRAMS += $(B)/porthole
endif
endif

all: $(PROGRAMS) $(UNIT_BIN) $(HELPER_BIN)

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DEP_CFLAGS) -c -o $@ $<

$(B)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DEP_CFLAGS) -fPIC -fvisibility=hidden -c -o $@ $<

# The UPnP descriptions are linked in with .incbin, which -MMD does not see.
$(B)/daemon/upnp/describe.o $(FUZZ_B)/daemon/upnp/describe.o: $(wildcard xml/*.xml)

$(B)/libportholed.a: $(DAEMON_OBJ)
	$(AR) rcs $@ $^

# portholed maps upstream through libporthole (daemon/upstream_worker.c, a thread).
$(B)/portholed: $(B)/daemon/main.o $(B)/libportholed.a $(B)/libporthole.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_DAEMON) $(LIBS_CLIENT) -pthread

$(B)/portholectl: $(B)/daemon/portholectl.o $(B)/daemon/ctl_proto.o $(B)/daemon/prefix6.o
	$(CC) $(LDFLAGS) -o $@ $^

$(B)/libporthole.a: $(CLIENT_OBJ)
	$(AR) rcs $@ $^

$(B)/libporthole.so: $(CLIENT_OBJ)
	$(CC) $(LDFLAGS) -shared -Wl,-soname,libporthole.so.$(CLIENT_SOVER) -o $@ $^ $(LIBS_CLIENT)

$(B)/porthole: $(B)/client/porthole.o $(REFLECT_OBJ) $(B)/libporthole.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_CLIENT) $(LIBS_REFLECT)

# Unit tests link the daemon's and the client's objects; no root needed.
$(B)/tests/%: tests/unit/%.c $(B)/libportholed.a $(if $(CLIENT_SRC),$(B)/libporthole.a)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DEP_CFLAGS) $(LDFLAGS) -o $@ $(filter %.c %.a,$^) $(LIBS_DAEMON) $(if $(CLIENT_SRC),$(LIBS_CLIENT)) -lcmocka

# Test helpers: small programs the integration tests run inside the lab.
$(B)/tests/%: tests/helpers/%.c $(if $(CLIENT_SRC),$(B)/libporthole.a)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DEP_CFLAGS) $(LDFLAGS) -o $@ $(filter %.c %.a,$^) $(if $(CLIENT_SRC),$(LIBS_CLIENT))

# A preload library for the tests that need time to pass faster (clockskew.c).
PRELOAD_BIN := $(patsubst tests/helpers/preload/%.c,$(B)/tests/%.so,$(wildcard tests/helpers/preload/*.c))
all: $(PRELOAD_BIN)

$(B)/tests/%.so: tests/helpers/preload/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fPIC -shared -o $@ $< -ldl

# The libupnp control point is the one helper that links libupnp; its headers
# are not -Wstrict-prototypes clean, hence -isystem.
$(B)/tests/libupnp_search: tests/helpers/libupnp_search.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(patsubst -I%,-isystem %,$(shell pkg-config --cflags libupnp)) $(LDFLAGS) \
		-o $@ $< $(shell pkg-config --libs libupnp)

# Examples built on libporthole (examples/*.c), as a user of the library builds them.
EXAMPLE_BIN := $(patsubst examples/%.c,$(B)/examples/%,$(wildcard examples/*.c))
all: $(EXAMPLE_BIN)

$(B)/examples/%: examples/%.c $(B)/libporthole.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DEP_CFLAGS) $(LDFLAGS) -o $@ $(filter %.c %.a,$^) $(LIBS_CLIENT)

MANPAGES := $(wildcard daemon/*.[1-8] client/*.[1-8])

INSTALL_BIN := install -m 755 $(if $(filter 1 yes,$(STRIP)),-s)

install: all
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(LIBDIR)/pkgconfig \
		$(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/share/doc/porthole \
		$(DESTDIR)$(PREFIX)/lib/systemd/system
	$(INSTALL_BIN) $(B)/portholed $(B)/portholectl $(DESTDIR)$(PREFIX)/sbin/
	$(INSTALL_BIN) $(B)/porthole $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(B)/libporthole.a $(DESTDIR)$(LIBDIR)/
	$(INSTALL_BIN) $(B)/libporthole.so $(DESTDIR)$(LIBDIR)/libporthole.so.$(CLIENT_SOVER)
	ln -sf libporthole.so.$(CLIENT_SOVER) $(DESTDIR)$(LIBDIR)/libporthole.so
	install -m 644 include/porthole.h $(DESTDIR)$(PREFIX)/include/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|^libdir=.*|libdir=$(LIBDIR)|' -e 's|@VERSION@|$(VERSION)|' \
		client/libporthole.pc.in >$(DESTDIR)$(LIBDIR)/pkgconfig/libporthole.pc
	for m in $(MANPAGES); do s=$${m##*.}; install -d $(DESTDIR)$(PREFIX)/share/man/man$$s; \
		install -m 644 $$m $(DESTDIR)$(PREFIX)/share/man/man$$s/; done
	install -m 644 examples/portholed.conf $(DESTDIR)$(PREFIX)/share/doc/porthole/portholed.conf.example
	for u in examples/*.service; do sed 's|/usr/local|$(PREFIX)|g' $$u \
		>$(DESTDIR)$(PREFIX)/lib/systemd/system/$${u##*/}; done

install-strip:
	@$(MAKE) --no-print-directory STRIP=1 install

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/sbin/portholed $(DESTDIR)$(PREFIX)/sbin/portholectl \
		$(DESTDIR)$(PREFIX)/bin/porthole $(DESTDIR)$(LIBDIR)/libporthole.* \
		$(DESTDIR)$(PREFIX)/include/porthole.h $(DESTDIR)$(LIBDIR)/pkgconfig/libporthole.pc
	for m in $(MANPAGES); do s=$${m##*.}; rm -f $(DESTDIR)$(PREFIX)/share/man/man$$s/$${m##*/}; done
	rm -rf $(DESTDIR)$(PREFIX)/share/doc/porthole
	for u in examples/*.service; do rm -f $(DESTDIR)$(PREFIX)/lib/systemd/system/$${u##*/}; done

deps:
	@tests/deps.sh

check: deps
	@$(MAKE) --no-print-directory all
	@tests/check.sh

check-asan: deps
	@$(MAKE) --no-print-directory B=build-asan SANITIZE=address,undefined all
	@B=build-asan ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 tests/check.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@tests/demo.sh

bench: deps
	@$(MAKE) --no-print-directory all
	@tests/bench/run.sh
	@if [ "$${BENCH_PINHOLES:-1}" != 0 ]; then tests/bench/pinholes.sh; fi

clean:
	rm -rf $(B) build-asan build-fuzz

.PHONY: all deps check check-asan demo bench clean install install-strip uninstall

-include $(shell find $(B) -name '*.d' 2>/dev/null)

# Fuzzing: one libFuzzer harness per parser (tests/fuzz/fuzz_*.c), built with
# clang against sanitized daemon and client objects. `make fuzz` runs each for
# FUZZ_SECONDS over its corpus in tests/fuzz/corpus/NAME/ (kept findings are
# regression inputs); the harnesses also replay the corpus alone.
FUZZ_CC	 := clang
FUZZ_B	 := build-fuzz
FUZZ_SECONDS ?= 30
FUZZ_CFLAGS := -g -O1 -std=c11 -D_GNU_SOURCE -Iinclude -Icommon -Idaemon -Iclient \
	-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(FUZZ_B)/%)
FUZZ_OBJ := $(DAEMON_SRC:%.c=$(FUZZ_B)/%.o) $(CLIENT_SRC:%.c=$(FUZZ_B)/%.o) \
	$(COMMON_SRC:%.c=$(FUZZ_B)/%.o)

$(FUZZ_B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(DEP_CFLAGS) -c -o $@ $<

$(FUZZ_B)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJ)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(DEP_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LIBS_DAEMON) $(LIBS_CLIENT)

fuzz-build: $(FUZZ_BIN)

fuzz: deps
	@$(MAKE) --no-print-directory fuzz-build
	@tests/fuzz/run.sh $(FUZZ_SECONDS)

.PHONY: fuzz fuzz-build
