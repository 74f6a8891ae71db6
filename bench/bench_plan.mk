# Planner benchmark: `make bench-plan` builds with -O2 (no sanitizers) and prints the table.
BENCH_PLAN_SRCS := bench/bench_plan.c src/plan.c src/topology.c src/cpumask.c

$(BUILD)/bench/bench_plan: $(BENCH_PLAN_SRCS) $(wildcard src/*.h)
	@mkdir -p $(BUILD)/bench
	$(CC) $(CFLAGS_BASE) -O2 -o $@ $(BENCH_PLAN_SRCS) -lm

bench-plan: $(BUILD)/bench/bench_plan
	$(BUILD)/bench/bench_plan
