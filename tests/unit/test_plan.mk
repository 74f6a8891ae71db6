test_plan_DEPS := plan topology cpumask
