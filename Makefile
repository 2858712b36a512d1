# driftwatch: `make run` (demo) and `make test` are the two commands a new user needs.
GO      ?= go
BIN     := bin/driftwatch
DWGEN   := bin/dwgen
DEMO    := demo/data
AT      := 2026-11-27T00:00:00Z
export CGO_ENABLED := 0

.PHONY: all build run demo test race bench crosscheck fuzz lint docs fixtures clean

all: build

build:
	@mkdir -p bin
	$(GO) build -trimpath -o $(BIN) ./cmd/driftwatch
	$(GO) build -trimpath -o $(DWGEN) ./cmd/dwgen

$(DEMO)/reference/train.parquet:
	$(GO) build -trimpath -o $(DWGEN) ./cmd/dwgen
	$(DWGEN) demo --out $(DEMO)

demo: $(DEMO)/reference/train.parquet

## run: build, create the demo data if absent, run the demo job, print the summary
run: build demo
	$(BIN) run --config config.yaml --at $(AT)

## test: every test (unit, end to end through the built binary)
test:
	$(GO) vet ./...
	$(GO) test -count=1 ./...

race:
	CGO_ENABLED=1 $(GO) test -race -count=1 ./...

## bench: micro-benchmarks, then compare at 1M and 10M rows (wall time and peak RSS)
bench: build
	$(GO) test -run '^$$' -bench . -benchmem ./stats/ ./sources/
	./scripts/bench.sh

## crosscheck: 100k rows against the SciPy oracle (needs Debian's python3-scipy, python3-pandas)
crosscheck:
	./scripts/crosscheck.sh 100000

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzKS -fuzztime 30s ./stats/
	$(GO) test -run '^$$' -fuzz FuzzPSI -fuzztime 30s ./stats/
	$(GO) test -run '^$$' -fuzz FuzzUnmarshal -fuzztime 30s ./internal/yamlx/

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet ./...

## fixtures: regenerate test data from the SciPy reference (needs Debian's python3-scipy; not run in CI)
fixtures:
	/usr/bin/python3 testdata/scipy/gen_vectors.py > testdata/scipy/vectors.json

clean:
	rm -rf bin out
