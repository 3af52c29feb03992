# libjoy: the Joy flow-feature library as a C shared library, built from Go.
#
#   make            build/libjoy.so (+ build/libjoy.h from cgo) and build/joy
#                   (first installs libpcap-dev, cmake, python3 if missing)
#   make lib45      build/libjoy.so.4: Joy 4.5's API generation (include/joy4)
#   make paniktest  build/libjoy_paniktest.so: the library with the
#                   joytestpanic tag, for tests/c/joy_panic.c only
#   make test       go test ./... then the C embedding tests (CMake + CTest)
#   make demo       write build/demo.pcap and run the C example program on it
#   make bench      throughput against the libpcap floor (tests/bench/run.sh;
#                   BENCH_N=50 for a quick run, default 700)
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

.PHONY: all deps lib paniktest cli test ctest cmake-build demo bench bench-live fuzz fuzz-go fuzz-c longrun valgrind clean

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

# go's build cache decides what is stale, so these always ask go.
lib:
	@mkdir -p $(BUILD)
	CGO_CFLAGS="$(LIB_CGO_CFLAGS)" $(GO) build -buildmode=c-shared -o $(BUILD)/libjoy.so ./capi

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
# (10 min per package binary) is shorter than the corpus tests take there.
GO_TEST_TIMEOUT ?= 75m
test: all
	$(GO) test -timeout $(GO_TEST_TIMEOUT) ./...
	$(MAKE) ctest

cmake-build: all
	$(CMAKE) -S . -B $(CMAKE_DIR)
	$(CMAKE) --build $(CMAKE_DIR)

ctest: cmake-build
	$(CTEST) --test-dir $(CMAKE_DIR) --output-on-failure

valgrind: cmake-build
	@command -v valgrind >/dev/null || { echo "valgrind is not installed"; exit 1; }
	$(CTEST) --test-dir $(CMAKE_DIR) --output-on-failure -L valgrind

demo: cmake-build
	$(GO) run ./cmd/joy-mkdemo $(BUILD)/demo.pcap
	$(CMAKE_DIR)/joy_example $(BUILD)/demo.pcap

bench: all
	bash tests/bench/run.sh

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

clean:
	rm -rf $(BUILD)
