test_cpumask_DEPS := cpumask
