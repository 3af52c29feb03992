# libjoy: the Joy flow-feature library as a C shared library, built from Go.
#
#   make            build/libjoy.so.VERSION (SONAME libjoy.so.MAJOR; links
#                   libjoy.so.MAJOR and libjoy.so) and build/joy
#                   (first installs libpcap-dev, cmake, python3 if missing)
#   make lib45      build/libjoy.so.4: Joy 4.5's API generation (include/joy4)
#   make paniktest  build/libjoy_paniktest.so: the library with the
#                   joytestpanic tag, for tests/c/joy_panic.c only
#   make test       go test ./..., the C embedding tests (CMake + CTest) and
#                   the Python package's tests, each with an explicit
#                   timeout, then a summary (tests/run.sh)
#   make install    PREFIX=/usr/local DESTDIR= : libjoy.so.VERSION (SONAME
#                   libjoy.so.MAJOR) and its links, libjoy.a, joy_api.h,
#                   joy.pc, the CMake package (find_package(joy): joy::joy),
#                   the joy command (and its man page and example files when
#                   the tree has them)
#   make static     build/libjoy.a (go build -buildmode=c-archive)
#   make deb        build/joy_VERSION_ARCH.deb of the same (dpkg-deb)
#   make demo       write build/demo.pcap and run the C example program on it
#   make bench      one table: every option set through the command and
#                   the C API, two contexts on two threads, as ratios to the
#                   libpcap floor, and peak RSS (tests/bench/run.sh;
#                   BENCH_N=50 for a quick run, default 700; BENCH_RUNS=3)
#   make bench-peers softflowd, nfpcapd, argus and ndpiReader (installed
#                   from Debian when missing) beside joy, the same way
#   make bench-live live capture: the benchmark capture replayed at top
#                   speed into a veth pair (own netns), tcpdump -w /dev/null
#                   vs joy threads=1 and 2: received/dropped per run (root;
#                   BENCH_N=50 default, BENCH_RUNS=3)
#   make fuzz       every Go fuzz target for FUZZTIME (default 30s), then the
#                   libFuzzer harness tests/c/joy_fuzz.c on libjoy.so for
#                   FUZZTIME too (installs clang-14 + libclang-rt-14-dev if
#                   missing, when root); make fuzz-go / fuzz-c for one half
#   make longrun    10 million synthetic flows through one bounded context:
#                   peak RSS, records per flow, every flow out once
#   make valgrind   only the memcheck tests
#   make clean
#
# Tests find the reference material through JOY_SHARED (default ../shared
# beside the repository) and skip what needs it when it is absent.

GO ?= go
CMAKE ?= cmake
CTEST ?= ctest
BUILD := build
CMAKE_DIR := $(BUILD)/cmake
FUZZTIME ?= 30s
# CTest runs tests one at a time unless told otherwise.
export CTEST_PARALLEL_LEVEL ?= $(shell nproc 2>/dev/null || echo 2)

# -O2 -g are go's defaults for cgo code, kept when adding the include path.
LIB_CGO_CFLAGS := -O2 -g -I$(CURDIR)/include

# The version lives in joy/version.go (joy.Version); include/joy_api.h
# repeats it (joy/version_test.go checks they agree). The SONAME's
# major is the ABI: 2 is the library guide's API.
VERSION := $(shell sed -n 's/^const Version = "\(.*\)"/\1/p' joy/version.go)
SOMAJOR := $(firstword $(subst ., ,$(VERSION)))
SONAME := libjoy.so.$(SOMAJOR)
LIBFILE := libjoy.so.$(VERSION)
# Only joy_* is exported (capi/libjoy.map); the SONAME makes programs
# record libjoy.so.MAJOR as NEEDED instead of the path they linked with.
LIB_LDFLAGS := -extldflags '-Wl,-soname,$(SONAME) -Wl,--version-script=$(CURDIR)/capi/libjoy.map'

.PHONY: all deps lib static paniktest cli test test-go test-python ctest cmake-build demo bench bench-peers bench-live fuzz fuzz-go fuzz-c longrun \
	valgrind clean install uninstall deb

all: deps lib cli

# What a fresh Debian machine with only Go and gcc lacks: libpcap's headers
# (the C API includes pcap.h), cmake for the C tests, python3 for the test
# scripts. Installed with apt-get when run as root, otherwise named.
deps:
	@missing=""; \
	[ -f /usr/include/pcap.h ] || [ -f /usr/include/pcap/pcap.h ] || missing="$$missing libpcap-dev"; \
	command -v cmake >/dev/null || missing="$$missing cmake"; \
	command -v python3 >/dev/null || missing="$$missing python3"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "installing:$$missing"; \
			apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
		else \
			echo "please install:$$missing"; exit 1; \
		fi; \
	fi

# go's build cache decides what is stale, so these always ask go. go links
# into $(BUILD)/cgo (where it also leaves cgo's libjoy.h); the library is
# copied to $(BUILD)/libjoy.so.VERSION only when it changed, with the links
# libjoy.so.MAJOR (the SONAME, found at run time) and libjoy.so (-ljoy).
lib:
	@mkdir -p $(BUILD)/cgo
	CGO_CFLAGS="$(LIB_CGO_CFLAGS)" $(GO) build -buildmode=c-shared -ldflags="$(LIB_LDFLAGS)" \
		-o $(BUILD)/cgo/libjoy.so ./capi
	@cmp -s $(BUILD)/cgo/libjoy.so $(BUILD)/$(LIBFILE) || cp -f $(BUILD)/cgo/libjoy.so $(BUILD)/$(LIBFILE)
	@ln -sfn $(LIBFILE) $(BUILD)/$(SONAME)
	@ln -sfn $(SONAME) $(BUILD)/libjoy.so

# The static library, as the original shipped (libjoy.a): link it with
# -lpcap -lpthread (pkg-config --static --libs joy).
static:
	@mkdir -p $(BUILD)/cgo-static
	CGO_CFLAGS="$(LIB_CGO_CFLAGS)" $(GO) build -buildmode=c-archive -o $(BUILD)/cgo-static/libjoy.a ./capi
	@cmp -s $(BUILD)/cgo-static/libjoy.a $(BUILD)/libjoy.a || cp -f $(BUILD)/cgo-static/libjoy.a $(BUILD)/libjoy.a

# Joy 4.5's API generation from the same core (include/joy4/joy_api.h,
# or -DJOY_API_4_5): SONAME libjoy.so.4, and build/joy4/libjoy.so -> it so
# that a 4.5 client links with -Lbuild/joy4 -ljoy.
.PHONY: lib45
lib45:
	@mkdir -p $(BUILD)/joy4
	CGO_CFLAGS="$(LIB_CGO_CFLAGS)" $(GO) build -buildmode=c-shared \
		-ldflags=-extldflags=-Wl,-soname,libjoy.so.4 -o $(BUILD)/libjoy.so.4 ./capi/v45
	ln -sf ../libjoy.so.4 $(BUILD)/joy4/libjoy.so

# Never installed or shipped: a magic payload makes it panic.
paniktest:
	@mkdir -p $(BUILD)
	CGO_CFLAGS="$(LIB_CGO_CFLAGS)" $(GO) build -tags joytestpanic -buildmode=c-shared \
		-ldflags=-extldflags=-Wl,-soname,libjoy_paniktest.so -o $(BUILD)/libjoy_paniktest.so ./capi

cli:
	@mkdir -p $(BUILD)
	$(GO) build -o $(BUILD)/joy ./cmd/joy

# Explicit timeouts sized for a loaded 2-core machine: go test's own default
# (10 min per package binary) is shorter than the corpus tests take there;
# CTEST_TIMEOUT is per CTest test, PYTHON_TEST_TIMEOUT for all of pytest.
GO_TEST_TIMEOUT ?= 75m
CTEST_TIMEOUT ?= 1800
PYTHON_TEST_TIMEOUT ?= 600
export GO GO_TEST_TIMEOUT CTEST CTEST_TIMEOUT CMAKE_DIR PYTHON_TEST_TIMEOUT
test: all cmake-build
	bash tests/run.sh go ctest python

test-go: all
	bash tests/run.sh go

# The Python package (python/): pip-installed into a temporary directory,
# then pytest against the joy command's records.
test-python: lib cli
	bash tests/run.sh python

cmake-build: all
	$(CMAKE) -S . -B $(CMAKE_DIR)
	$(CMAKE) --build $(CMAKE_DIR)

ctest: cmake-build
	bash tests/run.sh ctest

valgrind: cmake-build
	@command -v valgrind >/dev/null || { echo "valgrind is not installed"; exit 1; }
	$(CTEST) --test-dir $(CMAKE_DIR) --output-on-failure -L valgrind

demo: cmake-build
	$(GO) run ./cmd/joy-mkdemo $(BUILD)/demo.pcap
	$(CMAKE_DIR)/joy_example $(BUILD)/demo.pcap

bench: all
	bash tests/bench/run.sh

bench-peers: all
	bash tests/bench/peers.sh

bench-live: cli
	bash tests/bench/live.sh

# Fuzz targets are found by name ("dir FuzzName" lines); go test fuzzes one
# target of one package at a time.
fuzz: fuzz-go fuzz-c

fuzz-go:
	@list=$$(grep -r --include='*_test.go' -o '^func Fuzz[A-Za-z0-9_]*' . | \
		sed 's|^\(.*\)/[^/]*:func |\1 |' | sort -u); \
	if [ -z "$$list" ]; then echo "no fuzz targets (func FuzzXxx in *_test.go) yet"; exit 0; fi; \
	echo "$$list" | while read -r dir name; do \
		echo "== $$name in $$dir ($(FUZZTIME))"; \
		$(GO) test -run='^$$' -fuzz="^$$name\$$" -fuzztime=$(FUZZTIME) $$dir || exit 1; \
	done

# libFuzzer through the C API. Only the harness is instrumented (Go code
# cannot be), so this checks the C boundary rather than exploring the Go
# parsers, which fuzz-go does. Seeds come from the shared captures at run
# time; the corpus and any crash-* inputs stay in build/fuzz.
JOY_SHARED ?= ../shared
CLANG ?= clang-14
FUZZ_DIR := $(BUILD)/fuzz
fuzz-c: lib
	@command -v $(CLANG) >/dev/null && [ -n "$$(ls /usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a 2>/dev/null)" ] || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "installing: clang-14 libclang-rt-14-dev"; \
			apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends clang-14 libclang-rt-14-dev; \
		else \
			echo "please install: clang-14 libclang-rt-14-dev"; exit 1; \
		fi; }
	@mkdir -p $(FUZZ_DIR)/corpus $(FUZZ_DIR)/seeds
	$(CLANG) -fsanitize=fuzzer -g -O1 -Wall -Iinclude -o $(FUZZ_DIR)/joy_fuzz tests/c/joy_fuzz.c \
		-L$(BUILD) -ljoy -lpcap -Wl,-rpath,$(CURDIR)/$(BUILD)
	@if [ -d "$(JOY_SHARED)/pcaps" ]; then python3 tests/c/fuzz_seeds.py $(FUZZ_DIR)/seeds $(JOY_SHARED)/pcaps/*.pcap; \
	else echo "no captures at $(JOY_SHARED)/pcaps: no seeds"; fi
	@secs=$$(echo "$(FUZZTIME)" | sed -e 's/^\([0-9]*\)s$$/\1/' -e 's/^\([0-9]*\)m$$/\1*60/' -e 's/^\([0-9]*\)h$$/\1*3600/'); \
	secs=$$(( $$secs )); echo "== joy_fuzz (libFuzzer, $${secs}s)"; \
	$(FUZZ_DIR)/joy_fuzz -max_total_time=$$secs -print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/ \
		$(FUZZ_DIR)/corpus $(FUZZ_DIR)/seeds

# The full long run (tests/go/robust TestLongRun; 1M flows in go test).
LONGRUN_FLOWS ?= 10000000
longrun:
	JOY_LONGRUN_FLOWS=$(LONGRUN_FLOWS) $(GO) test -count=1 -run '^TestLongRun$$' -v -timeout 60m ./tests/go/robust

# Installation. LIBDIR may be a multiarch directory (make deb uses one).
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/joy
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
# The command's man page (generated from its option table), an example
# configuration for joy -x, a systemd unit and a logrotate file.
MANPAGE := man/joy.1
OPTIONS_CFG := install/options.cfg
SYSTEMD_UNIT := install/joy.service
LOGROTATE := install/joy.logrotate
SYSTEMD_UNITDIR ?= $(if $(filter /usr,$(PREFIX)),/lib/systemd/system,$(PREFIX)/lib/systemd/system)

install: lib static cli
	@test -n "$(VERSION)" || { echo "no version in joy/version.go"; exit 1; }
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(LIBDIR)/cmake/joy \
		$(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(DOCDIR)
	install -m 0755 $(BUILD)/joy $(DESTDIR)$(BINDIR)/joy
	install -m 0644 $(BUILD)/$(LIBFILE) $(DESTDIR)$(LIBDIR)/$(LIBFILE)
	ln -sfn $(LIBFILE) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sfn $(SONAME) $(DESTDIR)$(LIBDIR)/libjoy.so
	install -m 0644 $(BUILD)/libjoy.a $(DESTDIR)$(LIBDIR)/libjoy.a
	install -m 0644 include/joy_api.h $(DESTDIR)$(INCLUDEDIR)/joy_api.h
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' \
		-e 's|@VERSION@|$(VERSION)|g' packaging/joy.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/joy.pc
	@# The CMake package finds its prefix from its own location, so it also
	@# works under DESTDIR or after the tree is moved.
	rel=$$(realpath -m --relative-to=$(LIBDIR)/cmake/joy $(PREFIX)); \
	libdir=$$(realpath -m --relative-to=$(PREFIX) $(LIBDIR)); \
	incdir=$$(realpath -m --relative-to=$(PREFIX) $(INCLUDEDIR)); \
	sed -e "s|@REL_PREFIX@|$$rel|g" -e "s|@REL_LIBDIR@|$$libdir|g" -e "s|@REL_INCLUDEDIR@|$$incdir|g" \
		-e 's|@SONAME@|$(SONAME)|g' -e 's|@LIBFILE@|$(LIBFILE)|g' \
		packaging/joyConfig.cmake.in > $(DESTDIR)$(LIBDIR)/cmake/joy/joyConfig.cmake
	sed -e 's|@VERSION@|$(VERSION)|g' packaging/joyConfigVersion.cmake.in \
		> $(DESTDIR)$(LIBDIR)/cmake/joy/joyConfigVersion.cmake
	install -m 0644 README.md docs/compatibility.md $(wildcard docs/records.md) $(DESTDIR)$(DOCDIR)/
	install -m 0644 tests/c/joy_example.c $(DESTDIR)$(DOCDIR)/joy_example.c
ifneq ($(MANPAGE),)
	install -d $(DESTDIR)$(MANDIR)/man1
	install -m 0644 $(MANPAGE) $(DESTDIR)$(MANDIR)/man1/joy.1
endif
ifneq ($(OPTIONS_CFG),)
	install -d $(DESTDIR)$(SYSCONFDIR)/joy
	install -m 0644 $(OPTIONS_CFG) $(DESTDIR)$(SYSCONFDIR)/joy/options.cfg
endif
ifneq ($(SYSTEMD_UNIT),)
	install -d $(DESTDIR)$(SYSTEMD_UNITDIR)
	install -m 0644 $(SYSTEMD_UNIT) $(DESTDIR)$(SYSTEMD_UNITDIR)/joy.service
endif
ifneq ($(LOGROTATE),)
	install -d $(DESTDIR)$(SYSCONFDIR)/logrotate.d
	install -m 0644 $(LOGROTATE) $(DESTDIR)$(SYSCONFDIR)/logrotate.d/joy
endif

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/joy $(DESTDIR)$(LIBDIR)/$(LIBFILE) $(DESTDIR)$(LIBDIR)/$(SONAME) \
		$(DESTDIR)$(LIBDIR)/libjoy.so $(DESTDIR)$(LIBDIR)/libjoy.a $(DESTDIR)$(INCLUDEDIR)/joy_api.h \
		$(DESTDIR)$(LIBDIR)/pkgconfig/joy.pc $(DESTDIR)$(MANDIR)/man1/joy.1
	rm -rf $(DESTDIR)$(LIBDIR)/cmake/joy $(DESTDIR)$(DOCDIR)

# A Debian package of the same install (no debhelper): /usr, the multiarch
# library directory, ldconfig through a trigger.
DEB_ARCH := $(shell dpkg --print-architecture 2>/dev/null || echo amd64)
DEB_MULTIARCH := $(shell gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
DEB_ROOT := $(BUILD)/deb/root
DEB_FILE := $(BUILD)/joy_$(VERSION)_$(DEB_ARCH).deb
deb:
	@command -v dpkg-deb >/dev/null || { echo "dpkg-deb is needed"; exit 1; }
	rm -rf $(BUILD)/deb
	$(MAKE) install DESTDIR=$(abspath $(DEB_ROOT)) PREFIX=/usr LIBDIR=/usr/lib/$(DEB_MULTIARCH) \
		DOCDIR=/usr/share/doc/joy
	install -d $(DEB_ROOT)/DEBIAN
	sed -e 's|@VERSION@|$(VERSION)|g' -e 's|@ARCH@|$(DEB_ARCH)|g' \
		-e "s|@SIZE@|$$(du -sk $(DEB_ROOT) | cut -f1)|g" packaging/deb/control.in > $(DEB_ROOT)/DEBIAN/control
	install -m 0644 packaging/deb/triggers $(DEB_ROOT)/DEBIAN/triggers
	dpkg-deb --root-owner-group -Zxz --build $(DEB_ROOT) $(DEB_FILE)
	dpkg-deb --info $(DEB_FILE)

clean:
	rm -rf $(BUILD)
