# Front door to the CMake build. `make run` and `make test` work on a fresh Debian 12 machine.
JOBS ?= $(shell nproc)
BUILD ?= build/release
TEST_BUILD ?= build/asan

.PHONY: all deps build run test bench fuzz fmt lint clean gen install deb
all: build

deps:
	./infra/deps.sh build

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCF_TESTS=OFF >/dev/null
	cmake --build $(BUILD) -j$(JOBS)

# make install PREFIX=/opt/clipforge [DESTDIR=/tmp/root]: the binary in PREFIX/bin, its data
# files in PREFIX/share/clipforge (found relative to the binary, so the tree can move).
PREFIX ?= /usr/local
install: build
	DESTDIR=$(DESTDIR) cmake --install $(BUILD) --prefix $(PREFIX)

# make deb: a Debian package of the release build in build/deb/ (infra/deb/build-deb.sh).
deb: build
	./infra/deb/build-deb.sh $(BUILD) build/deb

# `make run` shows one progress line while it builds (the whole log goes to $(BUILD)/build.log).
run: deps
	@./infra/build-progress.sh $(BUILD) $(JOBS)
	@./infra/run-sample.sh $(BUILD)/clipforge $(INPUT)

# The whole suite must run: a skipped test, or fewer tests than tests/min-test-count, fails it
# (infra/check-test-count.py). CTEST_ARGS picks a subset, and then the count is not checked.
# When a test fails, infra/failure-summary.py repeats at the end what each failed test said last.
test:
	./infra/deps.sh test
	cmake -S . -B $(TEST_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCF_SANITIZE=ON -DCF_WERROR=ON >/dev/null
	cmake --build $(TEST_BUILD) -j$(JOBS)
	rm -f $(TEST_BUILD)/ctest-junit.xml
	cd $(TEST_BUILD) && ctest --output-on-failure -j$(JOBS) --output-junit ctest-junit.xml $(CTEST_ARGS) \
	  || { $(CURDIR)/infra/failure-summary.py ctest-junit.xml; exit 1; }
	$(if $(CTEST_ARGS),,./infra/check-test-count.py $(TEST_BUILD)/ctest-junit.xml tests/min-test-count)

bench: build
	./infra/deps.sh bench
	./bench/run.sh $(BUILD)

fuzz:
	./infra/deps.sh test
	CC=clang cmake -S . -B build/fuzz -DCMAKE_BUILD_TYPE=Debug -DCF_FUZZ=ON >/dev/null
	cmake --build build/fuzz -j$(JOBS)
	./tests/fuzz/run.sh build/fuzz

fmt:
	find apps packages tests bench -name '*.[ch]' -not -path '*/generated/*' | xargs clang-format -i

# clang-format check, clang-tidy (.clang-tidy) and cppcheck over the C sources: infra/lint.sh.
lint:
	./infra/deps.sh lint
	cmake -S . -B build/lint -DCMAKE_EXPORT_COMPILE_COMMANDS=ON -DCF_TESTS=OFF >/dev/null
	./infra/lint.sh build/lint $(JOBS)

# The C code from packages/domain/schemas, then the TypeScript client (packages/shared/api-client)
# from the OpenAPI document the server built from them prints (`clipforge openapi`).
gen:
	python3 packages/domain/tools/gen.py
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCF_TESTS=OFF >/dev/null
	cmake --build $(BUILD) -j$(JOBS) --target clipforge
	python3 packages/domain/tools/gen_ts.py --server $(BUILD)/clipforge

clean:
	rm -rf build
